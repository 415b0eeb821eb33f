import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
const ours = (n: number) => `octo/site@abc${String(n).padStart(4, '0')} run ${n}.1`;
const add = (name: string, createdAt: Date, extra: Record<string, unknown> = {}) => panel.sim.addBackup(panel.server.identifier, { name, createdAt, ...extra });
const deletedOf = (run: { outputs: Record<string, string> }) => JSON.parse(run.outputs.deleted ?? 'null') as string[] | null;

describe('retention after a create', () => {
  it('keeps the newest N of this repository and never touches manual, locked, failed or running backups', async () => {
    panel.sim.settings.throttlePeriodSec = 0;
    const old = [add(ours(1), daysAgo(9)), add(ours(2), daysAgo(8)), add(ours(3), daysAgo(7))];
    const manual = add('before the update (manual)', daysAgo(20));
    const locked = add(ours(4), daysAgo(10), { locked: true });
    const failed = add(ours(5), daysAgo(11), { state: 'failed' });
    const kept = add(ours(6), daysAgo(1));
    const run = await act(panel, { keep: '2' });
    expect(run.exitCode).toBe(0);
    const created = run.outputs['backup-uuid']!;
    // The new backup and the newest older one are the 2 kept; the three old ones go, oldest first.
    expect(deletedOf(run)).toEqual([old[0]!.uuid, old[1]!.uuid, old[2]!.uuid]);
    for (const b of [manual, locked, failed, kept]) expect(panel.sim.backup(b.uuid)).toBeDefined();
    expect(panel.sim.backup(created)).toBeDefined();
    expect(run.summary).toContain('Deleted');
    expect(run.summary).toContain(ours(1));
    expect(run.summary).toMatch(/9d|216h|Age/);
  });

  it('deletes nothing when the backup fails', async () => {
    add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    panel.sim.settings.backupOutcome = 'failure';
    const run = await act(panel, { keep: '1' });
    expect(run.exitCode).toBe(1);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('prune-failed also deletes failed, unlocked, matching backups', async () => {
    const failed = add(ours(1), daysAgo(3), { state: 'failed' });
    const lockedFailed = add(ours(2), daysAgo(3), { state: 'failed', locked: true });
    const run = await act(panel, { 'prune-failed': 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([failed.uuid]);
    expect(panel.sim.backup(lockedFailed.uuid)).toBeDefined();
  });

  it('warns when retention keeps the server at its limit without rotate', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    add(ours(1), daysAgo(2));
    add(ours(2), daysAgo(1));
    const run = await act(panel, { keep: '5' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/Retention keeps 3 backup\(s\) \(running and successful\) and the server's backup limit is 3: the next create will be refused/);
  });

  it('dry-run of create counts the backup it would make and deletes nothing', async () => {
    const a = add(ours(1), daysAgo(3));
    add(ours(2), daysAgo(2));
    const run = await act(panel, { keep: '2', 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([a.uuid]);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
    expect(countRoute(panel, 'backups.create')).toBe(0);
    expect(run.stdout).toContain('Would delete backup');
  });
});

describe('prune', () => {
  it('applies keep-daily with UTC days, deleting oldest first', async () => {
    const day2a = add(ours(1), new Date('2026-11-20T08:00:00Z'));
    const day2b = add(ours(2), new Date('2026-11-20T20:00:00Z'));
    const day1 = add(ours(3), new Date('2026-11-22T10:00:00Z'));
    const older = add(ours(4), new Date('2026-11-10T10:00:00Z'));
    const run = await act(panel, { operation: 'prune', 'keep-daily': '2' });
    expect(run.exitCode).toBe(0);
    // Kept: 22nd (newest of its day) and 20th 20:00 (newest of that day).
    expect(deletedOf(run)).toEqual([older.uuid, day2a.uuid]);
    expect(panel.sim.backup(day2b.uuid)).toBeDefined();
    expect(panel.sim.backup(day1.uuid)).toBeDefined();
  });

  it('max-age keeps younger ones and the newest always stays', async () => {
    const a = add(ours(1), daysAgo(40));
    const b = add(ours(2), daysAgo(35));
    const run = await act(panel, { operation: 'prune', 'max-age': '30d' });
    expect(run.exitCode).toBe(0);
    // Both are older than 30 days, but the newest successful matching one is a floor.
    expect(deletedOf(run)).toEqual([a.uuid]);
    expect(panel.sim.backup(b.uuid)).toBeDefined();
  });

  it('retention-match widens what may be deleted; ! excludes', async () => {
    const n1 = add('nightly-1', daysAgo(5));
    const keepMe = add('nightly-keep', daysAgo(4));
    add('nightly-3', daysAgo(1));
    const run = await act(panel, { operation: 'prune', keep: '1', 'retention-match': 'nightly-*\n!*-keep' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([n1.uuid]);
    expect(panel.sim.backup(keepMe.uuid)).toBeDefined();
  });

  it('dry-run lists what would go and deletes nothing', async () => {
    const a = add(ours(1), daysAgo(5));
    add(ours(2), daysAgo(1));
    const run = await act(panel, { operation: 'prune', keep: '1', 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([a.uuid]);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
    expect(run.summary).toContain('Would delete');
  });
});

describe('rotate', () => {
  it('deletes the oldest successful unlocked matching backup when the panel reports the limit, then creates', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    const locked = add(ours(1), daysAgo(9), { locked: true });
    const oldest = add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(7));
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([oldest.uuid]);
    expect(panel.sim.backup(locked.uuid)).toBeDefined();
    expect(countRoute(panel, 'backups.create')).toBe(2);
    expect(run.outputs.status).toBe('successful');
    expect(run.warnings.join('\n')).not.toContain('the last successful backup matching');
  });

  it('warns when it deletes the last successful matching backup', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    panel.sim.settings.throttlePeriodSec = 0;
    add('made by hand', daysAgo(9));
    const only = add(ours(1), daysAgo(8));
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([only.uuid]);
    expect(run.warnings.join('\n')).toContain(
      `Rotate is deleting backup ${only.uuid}, the last successful backup matching the default octo/site@*: until the new backup succeeds there is none.`,
    );
  });

  it('refuses when every matching backup is locked, saying so', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    add(ours(1), daysAgo(9), { locked: true });
    add(ours(2), daysAgo(8), { locked: true });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/at its backup limit .* rotate found nothing it may delete: every successful backup matching the default octo\/site@\* is locked/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('never deletes backups made by hand with the default retention-match', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    add('made by hand', daysAgo(9));
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/no backup matches the default octo\/site@\*; backups made by hand or by other repositories are never rotated/);
    expect(run.warnings.join('\n')).toMatch(/backup limit is 1: rotate deletes the only backup before the new one exists/);
  });

  it('never deletes on the creation throttle (429), and says deleting does not free it', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    add(ours(1), new Date());
    add(ours(2), new Date());
    const run = await act(panel, { rotate: 'true', 'wait-timeout': '30s' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('creation throttle refused the backup');
    expect(run.errors[0]).toMatch(/deleting backups does not free the throttle on Pterodactyl 1\.11/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });
});

describe('skip-if-newer-than', () => {
  it('reports a recent successful backup instead of creating one', async () => {
    const recent = add('manual snapshot', new Date(Date.now() - 3_600_000));
    const run = await act(panel, { 'skip-if-newer-than': '6h' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ skipped: 'true', 'backup-uuid': recent.uuid, status: 'successful' });
    expect(countRoute(panel, 'backups.create')).toBe(0);
  });

  it('creates when the newest matching backup is older, or only a failed one is recent', async () => {
    add('old', daysAgo(2));
    add('recent but failed', new Date(), { state: 'failed' });
    const run = await act(panel, { 'skip-if-newer-than': '6h' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.skipped).toBe('false');
    expect(countRoute(panel, 'backups.create')).toBe(1);
  });
});
