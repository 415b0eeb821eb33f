import { describe, expect, it } from 'vitest';
import { act, countRoute, panelError, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { adder, atLimit, daysAgo, deletedOf, ours } from './retention-setup.ts';

let panel: Panel;
const panels = usePanel((started) => {
  panel = started;
});

const add = adder(() => panel);

describe('retention after a create', () => {
  it('keeps the newest N of this repository and never touches manual, locked, failed or running backups', async () => {
    panel.sim.settings.throttlePeriodSec = 0;
    const old = [add(ours(1), daysAgo(9)), add(ours(2), daysAgo(8)), add(ours(3), daysAgo(7))];
    const manual = add('before the update (manual)', daysAgo(20));
    const locked = add(ours(4), daysAgo(10), { locked: true });
    const failed = add(ours(5), daysAgo(11), { state: 'failed' });
    const kept = add(ours(6), daysAgo(1));
    const running = add(ours(7), daysAgo(12), { state: 'pending' });
    const run = await act(panel, { keep: '2' });
    expect(run.exitCode).toBe(0);
    const created = run.outputs['backup-uuid']!;
    // The new backup and the newest older one are the 2 kept; the three old ones go, oldest first.
    expect(deletedOf(run)).toEqual([old[0]!.uuid, old[1]!.uuid, old[2]!.uuid]);
    for (const b of [manual, locked, failed, kept, running]) expect(panel.sim.backup(b.uuid)).toBeDefined();
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

  it('applies keep-weekly with ISO weeks and keep-monthly with UTC months', async () => {
    // Mon 2026-11-16 .. Sun 2026-11-22 is one ISO week; Sun 2026-11-15 belongs to the week before.
    const weekA1 = add(ours(1), new Date('2026-11-16T01:00:00Z'));
    const weekA2 = add(ours(2), new Date('2026-11-22T23:00:00Z'));
    const weekB = add(ours(3), new Date('2026-11-15T23:30:00Z'));
    const weekC = add(ours(4), new Date('2026-11-03T12:00:00Z'));
    const weekly = await act(panel, { operation: 'prune', 'keep-weekly': '2' });
    expect(weekly.exitCode).toBe(0);
    expect(deletedOf(weekly)).toEqual([weekC.uuid, weekA1.uuid]);
    expect(panel.sim.backup(weekA2.uuid)).toBeDefined();
    expect(panel.sim.backup(weekB.uuid)).toBeDefined();

    const october = add(ours(5), new Date('2026-10-31T23:59:00Z'));
    const september = add(ours(6), new Date('2026-09-30T10:00:00Z'));
    const monthly = await act(panel, { operation: 'prune', 'keep-monthly': '2' });
    expect(monthly.exitCode).toBe(0);
    // November's newest (weekA2) and October's newest stay; the older November one and September go.
    expect(deletedOf(monthly)).toEqual([september.uuid, weekB.uuid]);
    expect(panel.sim.backup(october.uuid)).toBeDefined();
  });

  it('reads days in UTC from a panel that writes created_at in another timezone', async () => {
    await panels.replace({ timezoneOffsetMinutes: -300 });
    // 2026-11-20T23:30-05:00 is 2026-11-21T04:30Z: the same UTC day as the later one.
    const lateLocal = add(ours(1), new Date('2026-11-21T04:30:00Z'));
    const sameUtcDay = add(ours(2), new Date('2026-11-21T20:00:00Z'));
    const dayBefore = add(ours(3), new Date('2026-11-20T12:00:00Z'));
    const listed = await act(panel, { operation: 'list' });
    expect(JSON.parse(listed.outputs.backups!)[1].created_at).toBe('2026-11-20T23:30:00-05:00');
    const run = await act(panel, { operation: 'prune', 'keep-daily': '2' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([lateLocal.uuid]);
    expect(panel.sim.backup(sameUtcDay.uuid)).toBeDefined();
    expect(panel.sim.backup(dayBefore.uuid)).toBeDefined();
  });

  it('deletes nothing when a later page of the list cannot be read', async () => {
    for (let i = 1; i <= 55; i++) add(ours(i), daysAgo(60 - i));
    panel.sim.fault({ route: 'backups.list', kind: 'status', status: 403, body: panelError(403, 'AccessDeniedHttpException', 'This action is unauthorized.'), skip: 1 });
    const run = await act(panel, { operation: 'prune', keep: '1' });
    expect(run.exitCode).toBe(1);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('a retention-match of only ! lines narrows the default and never reaches other names', async () => {
    const manual = add('made by hand', daysAgo(9));
    const other = add('other/repo@abc1234 run 1.1', daysAgo(9));
    const snapshot = add(`${ours(1)} pre-deploy`, daysAgo(8));
    const old = add(ours(2), daysAgo(7));
    add(ours(3), daysAgo(1));
    const run = await act(panel, { operation: 'prune', keep: '1', 'retention-match': '!* pre-deploy' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([old.uuid]);
    for (const b of [manual, other, snapshot]) expect(panel.sim.backup(b.uuid)).toBeDefined();
  });

  it('refuses to prune outside GitHub Actions with an empty retention-match, before any request', async () => {
    add(ours(1), daysAgo(9));
    const run = await act(panel, { operation: 'prune', keep: '1' }, { env: { GITHUB_REPOSITORY: '' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/retention-match is empty .* GITHUB_REPOSITORY, which is not set outside GitHub Actions.*Set retention-match/);
    expect(panel.sim.requests.length).toBe(0);
  });

  it('with nothing to delete, sets deleted to an empty JSON array and says how many backups matched', async () => {
    add(ours(1), daysAgo(1));
    add('manual one', daysAgo(3));
    const run = await act(panel, { operation: 'prune', keep: '5' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.deleted).toBe('[]');
    expect(run.stdout).toMatch(/Retention: 1 of 2 backup\(s\) match .*; 0 to delete\./);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('refuses, before any delete, when the key cannot delete backups', async () => {
    add(ours(1), daysAgo(5));
    add(ours(2), daysAgo(1));
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read'] });
    const run = await act(panel, { operation: 'prune', keep: '1' }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the backup\.delete permission, which is needed to delete backups/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
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

  it('at a limit of 1 deletes the only backup, warning loudly', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    panel.sim.settings.throttlePeriodSec = 0;
    const only = add(ours(1), daysAgo(8));
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([only.uuid]);
    expect(run.warnings.join('\n')).toContain(
      `Rotate deletes backup ${only.uuid}, the last successful backup matching the default octo/site@*: until the new backup succeeds there is none.`,
    );
  });

  it('keeps the newest matching backup above a limit of 1, saying what to do', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    add('made by hand', daysAgo(9));
    const only = add(ours(1), daysAgo(8));
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/rotate found nothing it may delete: the only unlocked successful backup matching the default octo\/site@\* is the newest, which rotate keeps unless the limit is 1\. Raise the backup limit/);
    expect(panel.sim.backup(only.uuid)).toBeDefined();
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('never picks a running, failed or undated backup, refusing when only those match', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    add(ours(1), daysAgo(2), { state: 'pending' });
    add(ours(2), daysAgo(3), { state: 'failed' });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/no successful backup matches the default octo\/site@\* \(the matching ones are running or failed\)/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('deletes no more than the server holds above its limit when the panel keeps refusing', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    const oldest = add(ours(1), daysAgo(9));
    const others = [add(ours(2), daysAgo(8)), add(ours(3), daysAgo(7))];
    // A panel that answers "limit reached" whatever was deleted (another run filling the slots).
    panel.sim.fault({ route: 'backups.create', kind: 'status', status: 400, body: atLimit(3), times: 10 });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(deletedOf(run)).toEqual([oldest.uuid]);
    for (const b of others) expect(panel.sim.backup(b.uuid)).toBeDefined();
    expect(run.errors[0]).toMatch(new RegExp(`the panel still refuses the create .* after rotate deleted 1 backup\\(s\\) \\(${oldest.uuid}\\).*Nothing more is deleted`));
  });

  it('chooses again when the chosen backup was locked between the list and the delete', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    const oldest = add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(7));
    panel.sim.fault({ route: 'backups.delete', kind: 'status', status: 400, body: panelError(400, 'BackupLockedException', 'Cannot delete a backup that is marked as locked.') });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Backup ${oldest.uuid} was locked in the meantime; choosing again.`);
    expect(countRoute(panel, 'backups.delete')).toBe(2);
    expect(deletedOf(run)).toEqual([oldest.uuid]);
  });

  it('says backups are disabled when the panel answers with a limit of 0', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    add(ours(1), daysAgo(9));
    panel.sim.fault({ route: 'backups.create', kind: 'status', status: 400, body: atLimit(0) });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/backups are disabled on this server \(its backup limit is 0\); rotation cannot make room/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('in a dry run names what it would delete, in the deleted output and the summary, and changes nothing', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    const oldest = add(ours(1), daysAgo(9));
    const next = add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(7));
    add(ours(4), daysAgo(6), { state: 'pending' });
    // 4 of 3 slots: a real run deletes two before the panel accepts; retention then keeps 3 (the new one counting).
    const run = await act(panel, { rotate: 'true', keep: '3', 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(deletedOf(run)).toEqual([oldest.uuid, next.uuid]);
    expect(run.stdout).toContain(`rotate would delete the oldest matching backup, backup ${oldest.uuid}`);
    expect(run.summary).toContain(ours(1));
    expect(run.summary).toContain(ours(2));
    expect(countRoute(panel, 'backups.delete')).toBe(0);
    expect(countRoute(panel, 'backups.create')).toBe(0);
  });

  it('in a dry run warns when a real run would find nothing to delete', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    add(ours(1), daysAgo(9), { locked: true });
    const run = await act(panel, { rotate: 'true', 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/A real run would fail: .*every successful backup matching the default octo\/site@\* is locked/);
    expect(deletedOf(run)).toEqual([]);
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

describe('rotate and the creation throttle', () => {
  it('says deleting does not free the throttle when the create after a rotation is throttled', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 2;
    panel.sim.settings.throttlePeriodSec = 0;
    const oldest = add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    const throttled = panelError(429, 'TooManyRequestsHttpException', 'Only 2 backups may be generated within a 600 second span of time.');
    panel.sim.fault({ route: 'backups.create', kind: 'status', status: 429, body: throttled, headers: { 'Retry-After': '3600' }, skip: 1 });
    const run = await act(panel, { rotate: 'true', 'wait-timeout': '30s' });
    expect(run.exitCode).toBe(1);
    expect(deletedOf(run)).toEqual([oldest.uuid]);
    expect(run.errors[0]).toContain("the panel's creation throttle refused the backup: Only 2 backups may be generated");
    expect(run.errors[0]).toMatch(/deleting backups does not free the throttle on Pterodactyl 1\.11/);
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

  it('only reuses a recent backup that matches retention-match', async () => {
    add('manual snapshot', new Date(Date.now() - 3_600_000));
    const run = await act(panel, { 'skip-if-newer-than': '6h', 'retention-match': 'octo/site@*' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.skipped).toBe('false');
    expect(countRoute(panel, 'backups.create')).toBe(1);
  });
});
