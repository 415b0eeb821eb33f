import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, startPanel } from './harness.ts';
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
  status: string | null;
  bytes: number | null;
  deleted: string[] | null;
}
const results = (run: { outputs: Record<string, string> }) => JSON.parse(run.outputs.results!) as Result[];

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
    expect(panel.sim.requests.filter((r) => r.route === 'backups.create')).toHaveLength(2);
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

  it('refuses restore before any request', async () => {
    const run = await act(panel, { 'server-id': 'all', operation: 'restore', 'backup-id': 'latest' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/operation 'restore' cannot run on several servers/);
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
    for (const result of results(run)) expect(result.deleted).toHaveLength(1);
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
