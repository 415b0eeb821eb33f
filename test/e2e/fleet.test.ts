import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.ts';
import { act, countRoute, panelError, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
let second: { identifier: string; uuid: string };
beforeEach(async () => {
  panel = await startPanel();
  second = panel.sim.addServer({ name: 'Creative' });
});
afterEach(async () => {
  await panel.sim.close();
});

interface Result {
  'server-id': string;
  ok: boolean;
  error: string | null;
  skipped: string | null;
  'backup-uuid': string | null;
  'backup-name': string | null;
  status: string | null;
  checksum: string | null;
  bytes: number | null;
  path: string | null;
  deleted: string[] | null;
}
const results = (run: { outputs: Record<string, string> }) => JSON.parse(run.outputs.results!) as Result[];
/** The data rows of the summary's fleet table (the one headed Server, Result, ...). */
const fleetRows = (summary: string) => /<table><tr><th>Server<\/th><th>Result<\/th>.*?<\/table>/s.exec(summary)![0].split('<tr>').slice(2);

describe('fleet mode', () => {
  it('creates a backup on each listed server and reports one result each', async () => {
    const run = await act(panel, { 'server-id': `${panel.server.identifier}\n${second.identifier}` });
    expect(run.exitCode).toBe(0);
    const all = results(run);
    expect(all.map((r) => r['server-id'])).toEqual([panel.server.identifier, second.identifier]);
    for (const result of all) {
      expect(result).toMatchObject({ ok: true, error: null, skipped: null, status: 'successful', path: null, deleted: null });
      expect(typeof result.bytes).toBe('number');
      expect(panel.sim.backup(result['backup-uuid']!)).toBeDefined();
      expect(result.checksum).toBe(panel.sim.backup(result['backup-uuid']!)!.checksum);
      expect(result.checksum).toMatch(/^sha1:[0-9a-f]{40}$/);
    }
    // Single-value outputs stay empty in fleet mode.
    expect(run.outputs['backup-uuid']).toBeUndefined();
    expect(run.outputs.status).toBeUndefined();
    expect(run.stdout).toContain(`[${second.identifier}] `);
    expect(run.summary).toContain(panel.server.identifier);
    expect(run.summary).toContain(second.identifier);
  });

  it('all: skips suspended servers and servers with a backup limit of 0, with a notice', async () => {
    const suspended = panel.sim.addServer({ name: 'Old', suspended: true });
    const disabled = panel.sim.addServer({ name: 'NoBackups', backupLimit: 0 });
    const run = await act(panel, { 'server-id': 'all', wait: 'false' });
    expect(run.exitCode).toBe(0);
    const byId = Object.fromEntries(results(run).map((r) => [r['server-id'], r]));
    expect(Object.keys(byId).sort()).toEqual([panel.server.identifier, second.identifier, suspended.identifier, disabled.identifier].sort());
    expect(byId[suspended.identifier]).toMatchObject({ ok: true, skipped: 'suspended', 'backup-uuid': null });
    expect(byId[disabled.identifier]).toMatchObject({ ok: true, skipped: 'backup limit is 0' });
    expect(byId[panel.server.identifier]).toMatchObject({ ok: true, status: 'pending' });
    expect(run.stdout).toMatch(/::notice::Skipping server .*: suspended/);
    expect(run.stdout).toMatch(/::notice::Skipping server .*: backup limit is 0/);
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create')).toHaveLength(2);
    // One summary row per server, the skipped ones included.
    const rows = fleetRows(run.summary);
    expect(rows).toHaveLength(4);
    for (const id of [suspended.identifier, disabled.identifier]) expect(rows.find((row) => row.startsWith(`<td>${id}</td>`))).toContain('<td>skipped</td>');
  });

  it('all: reads every page of the server list', async () => {
    // The action asks for 100 servers a page; the one server to work on is on the second page.
    panel.sim.server(panel.server.identifier).suspended = true;
    panel.sim.server(second.identifier).suspended = true;
    for (let i = 0; i < 99; i++) panel.sim.addServer({ name: `Old ${i}`, suspended: true });
    const last = panel.sim.addServer({ name: 'Last' });
    const run = await act(panel, { 'server-id': 'all', wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(panel.sim.requests.filter((r) => r.route === 'client.index').map((r) => r.query.page)).toEqual(['1', '2']);
    const all = results(run);
    expect(all).toHaveLength(102);
    expect(new Set(all.map((r) => r['server-id'])).size).toBe(102);
    expect(all.at(-1)).toMatchObject({ 'server-id': last.identifier, ok: true, skipped: null, status: 'pending' });
    expect(all.filter((r) => r.skipped === 'suspended')).toHaveLength(101);
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create').map((r) => r.path)).toEqual([`/api/client/servers/${last.identifier}/backups`]);
  });

  it('all: warns when the key sees no server', async () => {
    const empty = await startSimulator();
    try {
      const run = await act({ sim: empty, server: panel.server }, { 'server-id': 'all', wait: 'false' });
      expect(run.exitCode).toBe(0);
      expect(results(run)).toEqual([]);
      expect(run.warnings).toContainEqual(expect.stringMatching(/^server-id: all found no server: .* Nothing was done\./));
      expect(empty.requests.map((r) => r.route)).toEqual(['client.index']);
    } finally {
      await empty.close();
    }
  });

  it('all: results is an empty JSON array when the server list itself cannot be read', async () => {
    panel.sim.fault({ route: 'client.index', kind: 'status', status: 401, body: panelError(401, 'AuthenticationException', 'Unauthenticated.') });
    const run = await act(panel, { 'server-id': 'all', wait: 'false' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.results).toBe('[]');
    expect(run.errors[0]).toContain('401 AuthenticationException: Unauthenticated.');
  });

  it('a list of one server is still fleet mode', async () => {
    const run = await act(panel, { 'server-id': `${second.identifier},`, wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(results(run)).toEqual([expect.objectContaining({ 'server-id': second.identifier, ok: true, status: 'pending' })]);
    expect(run.outputs['backup-uuid']).toBeUndefined();
    expect(run.outputs.status).toBeUndefined();
    expect(run.outputs.skipped).toBeUndefined();
  });

  it('works once on a server listed by its short id and by its UUID', async () => {
    const run = await act(panel, { 'server-id': `${second.identifier}\n${second.uuid.toUpperCase()}\n${panel.server.uuid}`, wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(results(run).map((r) => r['server-id'])).toEqual([second.identifier, panel.server.uuid]);
    expect(countRoute(panel, 'backups.create')).toBe(2);
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create' && r.path.includes(second.uuid))).toEqual([]);
  });

  it('a server that cannot be found fails alone: the others are done, and its entry has every key', async () => {
    const run = await act(panel, { 'server-id': `deadbeef,${second.identifier}`, wait: 'false' });
    expect(run.exitCode).toBe(1);
    const [missing, other] = results(run);
    expect(missing).toEqual({
      'server-id': 'deadbeef',
      ok: false,
      error: expect.stringMatching(/^Server deadbeef: the panel refused GET \/servers\/deadbeef with 404 /),
      skipped: null,
      'backup-uuid': null,
      'backup-name': null,
      status: null,
      checksum: null,
      bytes: null,
      path: null,
      deleted: null,
    });
    expect(other).toMatchObject({ 'server-id': second.identifier, ok: true, error: null, status: 'pending' });
    expect(countRoute(panel, 'backups.create')).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^1 of 2 server\(s\) failed:\n- Server deadbeef: /)]);
    // Named once: the warning is not prefixed with [deadbeef] as well.
    expect(run.warnings).toContainEqual(expect.stringMatching(/^Server deadbeef: the panel refused GET/));
    expect(fleetRows(run.summary)[0]).toMatch(/^<td>deadbeef<\/td><td>failed<\/td>/);
  });

  it("waits out a 429 on one server's create, and the others are not failed by it", async () => {
    panel.sim.fault({ route: 'backups.create', kind: 'rate-limit', retryAfterSec: 1 });
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(results(run).map((r) => r.ok)).toEqual([true, true]);
    const creates = panel.sim.requests.filter((r) => r.route === 'backups.create');
    expect(creates.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    for (const result of results(run)) expect(panel.sim.backup(result['backup-uuid']!)).toBeDefined();
  });

  it('skip-if-newer-than decides per server', async () => {
    const recent = panel.sim.addBackup(panel.server.identifier, { name: 'recent', createdAt: new Date(Date.now() - 600_000) });
    panel.sim.addBackup(second.identifier, { name: 'old', createdAt: new Date(Date.now() - 2 * 86_400_000) });
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, 'skip-if-newer-than': '1h' });
    expect(run.exitCode).toBe(0);
    const [skipped, created] = results(run);
    expect(skipped).toMatchObject({ ok: true, 'backup-uuid': recent.uuid, status: 'successful', skipped: expect.stringContaining(recent.uuid) });
    expect(created).toMatchObject({ ok: true, skipped: null, status: 'successful', 'backup-name': 'octo/site@abc1234 run 9876543.1' });
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create').map((r) => r.path)).toEqual([`/api/client/servers/${second.identifier}/backups`]);
    expect(run.outputs.skipped).toBeUndefined();
  });

  it('rotate makes room only on the server at its limit', async () => {
    const name = 'octo/site@abc0000 run 1.1';
    panel.sim.server(second.identifier).backupLimit = 2;
    const oldest = panel.sim.addBackup(second.identifier, { name, createdAt: new Date(Date.now() - 2 * 86_400_000) });
    panel.sim.addBackup(second.identifier, { name, createdAt: new Date(Date.now() - 86_400_000) });
    panel.sim.addBackup(panel.server.identifier, { name, createdAt: new Date(Date.now() - 2 * 86_400_000) });
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, rotate: 'true' });
    expect(run.exitCode).toBe(0);
    const [roomy, full] = results(run);
    expect(roomy).toMatchObject({ ok: true, status: 'successful', deleted: [] });
    expect(full).toMatchObject({ ok: true, status: 'successful', deleted: [oldest.uuid] });
    expect(panel.sim.requests.filter((r) => r.route === 'backups.delete').map((r) => r.path)).toEqual([
      `/api/client/servers/${second.identifier}/backups/${oldest.uuid}`,
    ]);
  });

  it("download with latest: each server's newest archive into the one directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-download-'));
    try {
      const mine = panel.sim.addBackup(panel.server.identifier, { name: 'a' });
      const theirs = panel.sim.addBackup(second.identifier, { name: 'b' });
      panel.sim.addBackup(second.identifier, { name: 'b older', createdAt: new Date(Date.now() - 86_400_000) });
      const run = await act(panel, {
        'server-id': `${panel.server.identifier},${second.identifier}`,
        operation: 'download',
        'backup-id': 'latest',
        'download-path': dir,
      });
      expect(run.exitCode).toBe(0);
      const all = results(run);
      expect(all.map((r) => r['backup-uuid'])).toEqual([mine.uuid, theirs.uuid]);
      for (const result of all) {
        expect(result.path).toBe(join(dir, `${result['backup-uuid']}.tar.gz`));
        expect(statSync(result.path!).size).toBe(result.bytes);
        expect(dirname(result.path!)).toBe(dir);
      }
      expect(run.outputs.path).toBeUndefined();
      expect(run.outputs['download-url']).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tries every server and then fails the step when one failed', async () => {
    panel.sim.server(panel.server.identifier).backupOutcome = 'failure';
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, concurrency: '1' });
    expect(run.exitCode).toBe(1);
    const [first, other] = results(run);
    expect(first).toMatchObject({ ok: false, status: 'failed' });
    expect(first!.error).toMatch(new RegExp(`^Server ${panel.server.identifier}: backup .* failed`));
    expect(other).toMatchObject({ ok: true, status: 'successful' });
    expect(run.errors[0]).toMatch(/^1 of 2 server\(s\) failed:/);
  });

  it('works on at most concurrency servers at once', async () => {
    const third = panel.sim.addServer({ name: 'Third' });
    panel.sim.settings.backupDurationMs = 400;
    const ids = [panel.server.identifier, second.identifier, third.identifier];
    const run = await act(panel, { 'server-id': ids.join(','), concurrency: '1', 'wait-strategy': 'poll' });
    expect(run.exitCode).toBe(0);
    // With one at a time, each server's create comes after the previous server's last read.
    const creates = panel.sim.requests.filter((r) => r.route === 'backups.create');
    for (let i = 1; i < ids.length; i++) {
      const previousLast = panel.sim.requests.filter((r) => r.path.includes(`/servers/${ids[i - 1]}`)).at(-1)!;
      expect(creates[i]!.at).toBeGreaterThanOrEqual(previousLast.at);
    }
  });

  it.each([
    [{ operation: 'restore', 'backup-id': 'latest' }, /operation 'restore' cannot run on several servers/],
    [{ operation: 'delete', 'backup-id': '00000000-0000-4000-8000-000000000001' }, /operation 'delete' cannot run on several servers/],
    [{ operation: 'unlock', 'backup-id': 'latest' }, /operation 'unlock' cannot run on several servers/],
    [{ operation: 'lock', 'backup-id': '00000000-0000-4000-8000-000000000001' }, /backup-id cannot be a backup UUID when server-id names several servers/],
  ])('refuses %o before any request', async (inputs, message) => {
    const run = await act(panel, { 'server-id': 'all', ...inputs });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(message);
    expect(panel.sim.requests).toEqual([]);
  });

  it('prunes every server with retention', async () => {
    const name = (n: number) => `octo/site@abc${n} run ${n}.1`;
    for (const server of [panel.server.identifier, second.identifier]) {
      panel.sim.addBackup(server, { name: name(1), createdAt: new Date(Date.now() - 3 * 86_400_000) });
      panel.sim.addBackup(server, { name: name(2), createdAt: new Date(Date.now() - 86_400_000) });
    }
    const run = await act(panel, { 'server-id': 'all', operation: 'prune', keep: '1' });
    expect(run.exitCode).toBe(0);
    for (const result of results(run)) expect(result).toMatchObject({ ok: true, error: null, skipped: null, deleted: [expect.any(String)] });
  });

  it('on cancellation keeps, in results and in the message, the backups it started', async () => {
    panel.sim.settings.backupOutcome = 'stuck';
    const third = panel.sim.addServer({ name: 'Later' });
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier},${third.identifier}`, concurrency: '2' }, {
      cancel: { signal: 'SIGINT', when: (stdout) => stdout.split('Waiting for backup').length > 2 },
    });
    expect(run.exitCode).toBe(1);
    const all = results(run);
    for (const result of all.slice(0, 2)) {
      expect(result).toMatchObject({ ok: false, status: 'pending', error: `Server ${result['server-id']}: cancelled before it finished.` });
      expect(result['backup-uuid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.errors[0]).toContain(`server ${result['server-id']}: backup ${result['backup-uuid']}`);
    }
    expect(all[2]).toMatchObject({ 'server-id': third.identifier, ok: false, 'backup-uuid': null, error: `Server ${third.identifier}: not run (the step ended first).` });
    expect(run.errors[0]).toMatch(/^the step was cancelled by SIGINT\. Still running on the panel, and will finish on their own/);
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create')).toHaveLength(2);
  });

  it('on cancellation does not call a backup that already finished still running', async () => {
    panel.sim.server(second.identifier).backupOutcome = 'stuck';
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, 'wait-strategy': 'poll' }, {
      cancel: { signal: 'SIGINT', when: (stdout) => stdout.includes(`[${second.identifier}] Waiting`) && new RegExp(`\\[${panel.server.identifier}\\] Backup \\S+ finished after`).test(stdout) },
    });
    expect(run.exitCode).toBe(1);
    const [done, stuck] = results(run);
    expect(done).toMatchObject({ status: 'successful' });
    expect(stuck).toMatchObject({ ok: false, status: 'pending' });
    expect(run.errors[0]).toContain(`server ${second.identifier}: backup ${stuck!['backup-uuid']}`);
    expect(run.errors[0]).not.toContain(done!['backup-uuid']!);
  });

  it('on cancellation names the servers whose create request was unanswered', async () => {
    panel.sim.fault({ route: 'backups.create', kind: 'delay', ms: 3_000, times: 2 });
    const run = await act(panel, { 'server-id': `${panel.server.identifier},${second.identifier}`, name: 'fleet-cancel' }, {
      cancel: { signal: 'SIGINT', when: (stdout) => stdout.split('Creating backup').length > 2 },
    });
    expect(run.exitCode).toBe(1);
    for (const result of results(run)) {
      expect(result.error).toContain("The request to create backup 'fleet-cancel' was sent but not answered: the panel may have started it.");
    }
    expect(run.errors[0]).toContain(
      `Create requests sent but not answered, which the panel may have started (look for them with operation: list): server ${panel.server.identifier}: 'fleet-cancel'; server ${second.identifier}: 'fleet-cancel'.`,
    );
  });
});
