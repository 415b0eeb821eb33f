import { describe, expect, it } from 'vitest';
import { act, countRoute, panelError, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { adder, daysAgo, deletedOf, ours } from './retention-setup.ts';

let panel: Panel;
usePanel((started) => {
  panel = started;
});
const add = adder(() => panel);

describe('retention and rotation: what must not happen', () => {
  it('rotate acts on the limit refusal only, never on another 400', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    panel.sim.fault({ route: 'backups.create', kind: 'status', status: 400, body: panelError(400, 'BadRequestHttpException', 'The ignored files are invalid.') });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('a refused retention delete fails the step, is not in deleted, and the others still go', async () => {
    const a = add(ours(1), daysAgo(9));
    const b = add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(1));
    panel.sim.fault({ route: 'backups.delete', kind: 'status', status: 400, body: panelError(400, 'BackupLockedException', 'Cannot delete a backup that is marked as locked.'), times: 1 });
    const run = await act(panel, { operation: 'prune', keep: '1' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(new RegExp(`retention could not delete 1 backup\\(s\\): ${a.uuid}: 400`));
    expect(deletedOf(run)).toEqual([b.uuid]);
    expect(panel.sim.backup(a.uuid)).toBeDefined();
    expect(panel.sim.backup(b.uuid)).toBeUndefined();
  });

  it('never deletes the backup this run created, even when an existing one is dated later', async () => {
    panel.sim.settings.throttlePeriodSec = 0;
    add(ours(8), new Date(Date.now() + 3_600_000));
    add(ours(1), daysAgo(3));
    const run = await act(panel, { keep: '1' });
    expect(run.exitCode).toBe(0);
    const created = run.outputs['backup-uuid']!;
    expect(deletedOf(run)).not.toContain(created);
    expect(panel.sim.backup(created)).toBeDefined();
  });

  it('skip-if-newer-than looks at the newest successful matching backup', async () => {
    add('old', daysAgo(2));
    const recent = add('recent', new Date(Date.now() - 3_600_000));
    const run = await act(panel, { 'skip-if-newer-than': '6h' });
    expect(run.outputs).toMatchObject({ skipped: 'true', 'backup-uuid': recent.uuid });
  });

  it('skip-if-newer-than honours retention-match', async () => {
    add('nightly-1', daysAgo(2));
    add('manual', new Date(Date.now() - 3_600_000));
    const run = await act(panel, { 'skip-if-newer-than': '6h', 'retention-match': 'nightly-*' });
    expect(run.outputs.skipped).toBe('false');
    expect(countRoute(panel, 'backups.create')).toBe(1);
  });

  it('retention with wait: false deletes nothing', async () => {
    panel.sim.settings.throttlePeriodSec = 0;
    add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    const run = await act(panel, { keep: '1', wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
    expect(run.warnings.join('\n')).toContain('Retention is skipped with wait: false');
  });

  it('gives no at-limit warning with rotate on', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    add(ours(1), daysAgo(2));
    add(ours(2), daysAgo(1));
    const run = await act(panel, { keep: '5', rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).not.toContain('Retention keeps');
  });

  it('in a dry run, retention plans without what rotation would delete', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(7));
    add(ours(4), daysAgo(6), { state: 'pending' });
    const run = await act(panel, { rotate: 'true', keep: '3', 'dry-run': 'true' });
    expect(run.stdout).toContain('Retention: 2 of 2 backup(s) match the default octo/site@*; 0 to delete (dry run: nothing is deleted).');
  });

  it('warns at a limit of 1 even when a failed matching backup remains', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    panel.sim.settings.throttlePeriodSec = 0;
    const only = add(ours(1), daysAgo(8));
    add(ours(2), daysAgo(7), { state: 'failed' });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toContain(`Rotate deletes backup ${only.uuid}, the last successful backup matching`);
  });

  it.each([
    ['re-plans a delete refused as locked at most 3 times', 400, 'BackupLockedException', 'Cannot delete a backup that is marked as locked.', 4],
    ['does not try other backups after a delete refused for another reason', 403, 'AccessDeniedHttpException', 'This action is unauthorized.', 1],
  ])('%s', async (_, status, code, detail, deletes) => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    panel.sim.settings.throttlePeriodSec = 0;
    add(ours(1), daysAgo(9));
    add(ours(2), daysAgo(8));
    add(ours(3), daysAgo(7));
    panel.sim.fault({ route: 'backups.delete', kind: 'status', status, body: panelError(status, code, detail), times: 100 });
    const run = await act(panel, { rotate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(countRoute(panel, 'backups.delete')).toBe(deletes);
  });

  it('warns outside GitHub Actions when only rotate is set', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 3;
    const run = await act(panel, { rotate: 'true' }, { env: { GITHUB_REPOSITORY: '' } });
    expect(run.warnings.join('\n')).toContain('retention and rotate delete nothing in this run');
  });
});
