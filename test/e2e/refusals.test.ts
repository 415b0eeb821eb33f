import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { act, panelError, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
const { replace } = usePanel((started) => {
  panel = started;
});

describe('panel refusals before any backup route, each with its advice', () => {
  it('two-factor authentication required (400 TwoFactorAuthRequiredException)', async () => {
    panel.sim.settings.twoFactorRequired = 'all';
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /^Server [0-9a-f]{8}: the panel refused GET \S+ with 400 TwoFactorAuthRequiredException: Two-factor authentication is required on this account in order to access this endpoint\.\nThe panel requires two-factor authentication for this account\. Enable 2FA on the key's account\.$/,
    );
    expect(panel.sim.requests.every((request) => request.status === 400)).toBe(true);
  });

  it("the key's IP allow-list (403 naming the runner's address)", async () => {
    panel.sim.settings.keyAllowedIps = { [panel.sim.apiKey]: ['192.0.2.10', '10.0.0.0/8'] };
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /403 AccessDeniedHttpException: This IP address \(127\.0\.0\.1\) does not have permission to access the API using these credentials\.\nThe key's allowed IPs do not include this runner\. Add the runner's address to the key or remove the restriction\.$/,
    );
  });

  it('an allow-list that includes the runner lets the run through', async () => {
    panel.sim.settings.keyAllowedIps = { [panel.sim.apiKey]: ['192.0.2.10', '127.0.0.0/8'] };
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['backups']).toBe('[]');
  });
});

describe('the job summary never fails the step', () => {
  it('warns when GITHUB_STEP_SUMMARY cannot be written, and succeeds', async () => {
    const summary = join(tmpdir(), 'no-such-directory-for-the-summary', 'summary.md');
    const run = await act(panel, { operation: 'list' }, { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(run.exitCode).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings.some((warning) => /^Job summary not written: /.test(warning))).toBe(true);
    expect(run.outputs['backups']).toBe('[]');
  });
});

describe('headers values', () => {
  it('sends a value too short to mask, says so, and never prints it', async () => {
    const run = await act(panel, { operation: 'list', headers: 'X-K: q7z' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n')).not.toContain('::add-mask::q7z');
    expect(run.warnings.join('\n')).toContain("headers: the value of 'X-K' is shorter than 4 characters, so it is not masked");
    expect(run.stdout + run.stderr).not.toContain('q7z');
    expect(panel.sim.requests[0]?.headers['x-k']).toBe('q7z');
  });
});

describe('secrets in what comes back, and in the wrong input', () => {
  it("never shows a piece of the key that a proxy's page title repeats, even cut short", async () => {
    const title = `Blocked ${'x'.repeat(30)} ${panel.sim.apiKey}`;
    panel.sim.fault({ route: 'server.view', kind: 'status', status: 400, body: `<html><head><title>${title}</title></head></html>`, headers: { 'content-type': 'text/html' } });
    // act() fails the test on any 12 characters of the key in the log, summary or outputs.
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain(`an HTML page ("Blocked ${'x'.repeat(30)} ***")`);
  });

  it('does not repeat an API key put into server-id, nor the password of a panel-url', async () => {
    const swapped = await act(panel, { 'server-id': panel.sim.apiKey });
    expect(swapped.exitCode).toBe(1);
    expect(swapped.errors[0]).toMatch(/server-id \(a value of \d+ characters, not repeated here in case it is a key\) is neither an 8-character short id/);
    const password = 'Sup3rS3cretPassw0rd';
    const url = await act(panel, { 'panel-url': `https://deploy:${password}@panel example.com` });
    expect(url.exitCode).toBe(1);
    expect(url.errors[0]).toContain("'https://***@panel example.com' is not a URL");
    expect(url.stdout + url.summary).not.toContain(password);
    expect(panel.sim.requests).toHaveLength(0);
  });

  it('redacts a secret that the panel repeats inside a backup name from the outputs', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: `copied ${panel.sim.apiKey} by mistake` });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.backups!)[0].name).toBe('copied *** by mistake');
  });

  it("never shows a piece of the key that the panel's error detail echoes, cut from its middle", async () => {
    const piece = panel.sim.apiKey.slice(5, 40);
    panel.sim.fault({ route: 'server.view', kind: 'status', status: 403, body: panelError(403, 'AccessDeniedHttpException', `Token ${piece} is not allowed here.`) });
    // act() fails the test on any 12 characters of the key in the log, summary or outputs.
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('403 AccessDeniedHttpException: Token *** is not allowed here.');
  });

  it('an S3 URL masks its signature, not words like host that names and paths may hold', async () => {
    const s3 = await replace({ s3: true });
    const run = await act(s3, { name: 'ghost host nightly', 'download-path': 'localhost-backups/' }, { cwd: mkdtempSync(join(tmpdir(), 'ws-')) });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['backup-name']).toBe('ghost host nightly');
    expect(run.outputs.path).toMatch(/\/localhost-backups\/[0-9a-f-]{36}\.tar\.gz$/);
    const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).not.toContain('::add-mask::host');
    expect(masks.some((line) => line.includes('AKIASIMULATOR'))).toBe(true);
  });
});

describe('text from the panel never becomes a workflow command', () => {
  it('quotes a line of a backup name that the runner would take for a command', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'nightly\n::error title=Injected::x\n::add-mask::backup' });
    const run = await act(panel, { operation: 'get', 'backup-id': 'latest' });
    expect(run.exitCode).toBe(0);
    expect(run.errors).toEqual([]);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => /^\s*::(error|add-mask::backup)/.test(line))).toEqual([]);
    expect(lines.some((line) => line.startsWith("> ::add-mask::backup'"))).toBe(true);
  });
});

