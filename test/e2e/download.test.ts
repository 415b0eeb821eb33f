import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
let workspace: string;
beforeEach(async () => {
  panel = await startPanel();
  workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
});
afterEach(async () => {
  await panel.sim.close();
  rmSync(workspace, { recursive: true, force: true });
});

const sha1 = (path: string) => `sha1:${createHash('sha1').update(readFileSync(path)).digest('hex')}`;
const downloads = () => panel.sim.requests.filter((r) => r.route === 'wings.download');

describe('download-path', () => {
  it('create streams the verified archive into a directory as <uuid>.tar.gz, and download-url stays unused', async () => {
    const run = await act(panel, { 'download-path': 'backups/' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    const uuid = run.outputs['backup-uuid']!;
    const path = join(workspace, 'backups', `${uuid}.tar.gz`);
    expect(run.outputs.path).toBe(path);
    expect(statSync(path).size).toBe(Number(run.outputs.bytes));
    expect(sha1(path)).toBe(run.outputs.checksum);
    expect(readdirSync(join(workspace, 'backups'))).toEqual([`${uuid}.tar.gz`]);
    // One transfer; the panel made a second URL for the output, which nobody has used.
    expect(downloads()).toHaveLength(1);
    expect(countRoute(panel, 'backups.download')).toBe(2);
    const fresh = await fetch(run.outputs['download-url']!);
    expect(fresh.status).toBe(200);
    await fresh.arrayBuffer();
    expect(run.stdout).toMatch(/Downloaded .* in .* \(.*\/s\)|downloaded/i);
    expect(run.summary).toContain(path);
  });

  it('never sends the API key or the headers input to the download URL', async () => {
    const run = await act(panel, { 'download-path': 'out.tar.gz' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    const [request] = downloads();
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.headers['x-test-secret']).toBeUndefined();
    expect(request!.method).toBe('GET');
    expect(run.outputs.path).toBe(join(workspace, 'out.tar.gz'));
  });

  it('download operation writes a file path as given, creating parent directories, and offers a fresh URL after', async () => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'a/b/world.tar.gz' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.path).toBe(join(workspace, 'a/b/world.tar.gz'));
    expect(sha1(run.outputs.path!)).toBe(backup.checksum);
    const fresh = await fetch(run.outputs['download-url']!);
    expect(fresh.status).toBe(200);
    await fresh.arrayBuffer();
  });

  it('retries a truncated transfer with a new URL and leaves only the verified file', async () => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    panel.sim.fault({ route: 'wings.download', kind: 'truncate', afterBytes: 1000 });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    expect(downloads()).toHaveLength(2);
    const tokens = downloads().map((r) => r.query.token);
    expect(new Set(tokens).size).toBe(2);
    expect(readdirSync(join(workspace, 'dl'))).toEqual([`${backup.uuid}.tar.gz`]);
    expect(sha1(run.outputs.path!)).toBe(backup.checksum);
  });

  it('retries a checksum mismatch once, then fails leaving no file behind', async () => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    panel.sim.fault({ route: 'wings.download', kind: 'corrupt', times: 2 });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/checksum|SHA-1/i);
    expect(downloads()).toHaveLength(2);
    expect(existsSync(join(workspace, 'dl')) ? readdirSync(join(workspace, 'dl')) : []).toEqual([]);
    expect(run.outputs.path).toBeUndefined();
  });

  it('still offers a fresh download-url when the backup succeeded but its download failed', async () => {
    panel.sim.fault({ route: 'wings.download', kind: 'corrupt', times: 2 });
    const run = await act(panel, { 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('successful');
    expect(run.outputs.path).toBeUndefined();
    expect(downloads()).toHaveLength(2);
    // A third URL, asked for after the failed transfers and never used.
    expect(countRoute(panel, 'backups.download')).toBe(3);
    const fresh = await fetch(run.outputs['download-url']!);
    expect(fresh.status).toBe(200);
    await fresh.arrayBuffer();
  });

  it('recovers from one corrupted transfer', async () => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    panel.sim.fault({ route: 'wings.download', kind: 'corrupt' });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    expect(sha1(run.outputs.path!)).toBe(backup.checksum);
  });

  it('fails with the daemon message when every URL is refused, leaving no file', async () => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    panel.sim.fault({ route: 'wings.download', kind: 'status', status: 404, body: { error: 'The requested backup was not found on this server.' }, times: 5 });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace, timeoutMs: 60_000 });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('The requested backup was not found on this server.');
    expect(existsSync(join(workspace, 'dl')) ? readdirSync(join(workspace, 'dl')) : []).toEqual([]);
  });

  it('refuses to download a backup that has not succeeded', async () => {
    const failed = panel.sim.addBackup(panel.server.identifier, { name: 'x', state: 'failed' });
    const run = await act(panel, { operation: 'download', 'backup-id': failed.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(1);
    expect(downloads()).toHaveLength(0);
  });

  it('works with S3 presigned URLs', async () => {
    await panel.sim.close();
    panel = await startPanel({ s3: true });
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    expect(sha1(run.outputs.path!)).toBe(backup.checksum);
  });

  it('takes a fresh S3 URL after an expired one, and explains a clock that keeps them expired', async () => {
    await panel.sim.close();
    panel = await startPanel({ s3: true });
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'nightly' });
    panel.sim.settings.s3SigningSkewSec = -600;
    const recovered = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, {
      cwd: workspace,
      // The panel's clock is put right once the first URL has failed.
      onStdout: (stdout) => {
        if (stdout.includes('Download attempt 1 of 3 failed')) panel.sim.settings.s3SigningSkewSec = 0;
      },
    });
    expect(recovered.exitCode).toBe(0);
    expect(recovered.warnings.join('\n')).toContain('answered 403: "AccessDenied"');
    expect(sha1(recovered.outputs.path!)).toBe(backup.checksum);

    panel.sim.settings.s3SigningSkewSec = -600;
    const failed = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl2/' }, { cwd: workspace });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]).toContain("(3 attempts, each with a fresh URL). A presigned S3 URL is valid for 5 minutes: check the runner's and the panel's clocks.");
    expect(existsSync(join(workspace, 'dl2')) ? readdirSync(join(workspace, 'dl2')) : []).toEqual([]);
  });

  it('streams a multi-hundred-MiB archive with progress lines', async () => {
    panel.sim.settings.archiveBytes = 300 * 1024 * 1024;
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'big' });
    const run = await act(panel, { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' }, { cwd: workspace });
    expect(run.exitCode).toBe(0);
    expect(statSync(run.outputs.path!).size).toBe(300 * 1024 * 1024);
    expect(sha1(run.outputs.path!)).toBe(backup.checksum);
    const progress = run.stdout.split('\n').filter((line) => /\d+%/.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
