import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, panelError, routes, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

describe('list', () => {
  it('reads every page and outputs all backups newest first', async () => {
    for (let i = 0; i < 120; i++) panel.sim.addBackup(panel.server.identifier, { name: `b${i}`, createdAt: hoursAgo(200 - i) });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    const backups = JSON.parse(run.outputs.backups!) as Array<{ name: string }>;
    expect(backups).toHaveLength(120);
    expect(backups[0]!.name).toBe('b119');
    expect(backups[119]!.name).toBe('b0');
    const pages = panel.sim.requests.filter((r) => r.route === 'backups.list');
    expect(pages.map((r) => r.query)).toEqual([
      { page: '1', per_page: '50' },
      { page: '2', per_page: '50' },
      { page: '3', per_page: '50' },
    ]);
    expect(run.stdout).toContain('120 backup(s) on server');
    expect(run.summary).toContain('b119');
  });

  it('counts the backups by state and against the limit', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 5;
    panel.sim.addBackup(panel.server.identifier, { name: 'ok-1', createdAt: hoursAgo(4) });
    panel.sim.addBackup(panel.server.identifier, { name: 'ok-2', createdAt: hoursAgo(3) });
    panel.sim.addBackup(panel.server.identifier, { name: 'bad-1', state: 'failed', createdAt: hoursAgo(2.5) });
    panel.sim.addBackup(panel.server.identifier, { name: 'bad-2', state: 'failed', createdAt: hoursAgo(2) });
    panel.sim.addBackup(panel.server.identifier, { name: 'busy', state: 'pending', createdAt: hoursAgo(1) });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`5 backup(s) on server ${panel.server.identifier}: 2 successful, 1 running, 2 failed; 3 of the limit of 5 in use.`);
  });
});

describe('get', () => {
  it('reads a backup by UUID', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'one', locked: true });
    const run = await act(panel, { operation: 'get', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Backup ${b.uuid} ('one'): successful, locked, `);
    expect(run.stdout).toContain(`, ${b.checksum}, created ${b.created_at}.`);
    expect(run.outputs).toMatchObject({ 'backup-uuid': b.uuid, 'backup-name': 'one', status: 'successful', checksum: b.checksum, bytes: String(b.bytes) });
    expect(run.outputs['download-url']).toBeUndefined();
  });

  it('resolves latest to the newest successful backup, within retention-match when set', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'octo/site@1 run 1.1', createdAt: hoursAgo(5) });
    const nightly = panel.sim.addBackup(panel.server.identifier, { name: 'nightly', createdAt: hoursAgo(3) });
    panel.sim.addBackup(panel.server.identifier, { name: 'octo/site@2 run 2.1', state: 'failed', createdAt: hoursAgo(2) });
    panel.sim.addBackup(panel.server.identifier, { name: 'octo/site@3 run 3.1', state: 'pending', createdAt: hoursAgo(1) });
    let run = await act(panel, { operation: 'get', 'backup-id': 'latest' });
    expect(run.outputs['backup-uuid']).toBe(nightly.uuid);
    run = await act(panel, { operation: 'get', 'backup-id': 'latest', 'retention-match': 'octo/site@*' });
    expect(run.outputs['backup-name']).toBe('octo/site@1 run 1.1');
  });

  it('fails for latest without a successful backup, giving the counts', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'x', state: 'failed' });
    panel.sim.addBackup(panel.server.identifier, { name: 'y', state: 'pending' });
    const run = await act(panel, { operation: 'get', 'backup-id': 'latest' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/latest found no successful backup \(2 backup\(s\): 1 running, 1 failed\)/);
  });

  it('for latest within retention-match, counts only the matching backups', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'manual' });
    panel.sim.addBackup(panel.server.identifier, { name: 'octo/site@1 run 1.1', state: 'failed' });
    const run = await act(panel, { operation: 'get', 'backup-id': 'latest', 'retention-match': 'octo/site@*' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain(
      'latest found no successful backup matching retention-match (1 backup(s) matching retention-match: 0 running, 1 failed)',
    );
  });

  it('fails for an unknown UUID', async () => {
    const run = await act(panel, { operation: 'get', 'backup-id': '00000000-0000-4000-8000-00000000dead' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/backup 00000000-0000-4000-8000-00000000dead does not exist on this server/);
  });
});

describe('download (URL)', () => {
  it('sets a fresh signed URL for a successful backup', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'one' });
    const run = await act(panel, { operation: 'download', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['download-url']).toMatch(/\/download\/backup\?token=/);
    expect(run.stdout).toContain('::add-mask::' + run.outputs['download-url']);
    expect(countRoute(panel, 'wings.download')).toBe(0);
  });

  it('refuses a failed or running backup', async () => {
    const failed = panel.sim.addBackup(panel.server.identifier, { name: 'bad', state: 'failed' });
    const run = await act(panel, { operation: 'download', 'backup-id': failed.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/is failed; only a successful backup can be downloaded/);
    expect(run.outputs['download-url']).toBeUndefined();
    expect(countRoute(panel, 'backups.download')).toBe(0);

    const running = panel.sim.addBackup(panel.server.identifier, { name: 'busy', state: 'pending' });
    const again = await act(panel, { operation: 'download', 'backup-id': running.uuid });
    expect(again.exitCode).toBe(1);
    expect(again.errors[0]).toMatch(/is still running; only a successful backup can be downloaded\. Wait for it to finish/);
    expect(again.outputs['download-url']).toBeUndefined();
    expect(countRoute(panel, 'backups.download')).toBe(0);
  });
});

describe('delete', () => {
  it('deletes one backup and outputs its UUID', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'old' });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.deleted!)).toEqual([b.uuid]);
    expect(panel.sim.backup(b.uuid)).toBeUndefined();
    expect(run.summary).toContain('Deleted');
  });

  it('refuses a locked successful backup', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'keep-me', locked: true });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/is locked, so it is not deleted\. Unlock it first/);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('dry-run sends no DELETE but lists what would go', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'old' });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid, 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
    expect(JSON.parse(run.outputs.deleted!)).toEqual([b.uuid]);
    expect(run.stdout).toMatch(/Dry run: would delete backup/);
    expect(panel.sim.backup(b.uuid)).toBeDefined();
  });

  it('lists nothing as deleted when the panel refuses the DELETE', async () => {
    // Locked by someone between the read and the DELETE.
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'old' });
    panel.sim.fault({
      route: 'backups.delete',
      kind: 'status',
      status: 400,
      body: panelError(400, 'BackupLockedException', 'Cannot delete a backup that is marked as locked.'),
    });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/BackupLockedException: Cannot delete a backup that is marked as locked\./);
    expect(run.outputs.deleted ?? '[]').toBe('[]');
    expect(run.outputs['backup-uuid']).toBe(b.uuid);
    expect(run.summary).not.toContain('Deleted');
    expect(panel.sim.backup(b.uuid)).toBeDefined();
  });

  it('counts a repeated DELETE answered 404 as success', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'old' });
    panel.sim.fault({ route: 'backups.delete', kind: 'reset-after' });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.delete')).toBe(2);
    expect(panel.sim.backup(b.uuid)).toBeUndefined();
  });

  it('deletes a locked backup that is still running (only a locked successful one is refused), warning that it stops it', async () => {
    panel.sim.settings.backupDurationMs = 60_000;
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'busy', state: 'pending', locked: true });
    const run = await act(panel, { operation: 'delete', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toContain(`Backup ${b.uuid} is still running; deleting it stops it.`);
    expect(JSON.parse(run.outputs.deleted!)).toEqual([b.uuid]);
    expect(panel.sim.backup(b.uuid)).toBeUndefined();
  });
});

describe('lock and unlock', () => {
  it('locks an unlocked backup with one toggle', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(true);
    expect(countRoute(panel, 'backups.lock')).toBe(1);
    expect(JSON.parse(run.outputs.backup!).is_locked).toBe(true);
  });

  it('sends nothing when the backup is already in the wanted state', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x', locked: true });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.lock')).toBe(0);
    expect(run.stdout).toContain('is already locked; nothing to do');
    const unlock = await act(panel, { operation: 'unlock', 'backup-id': b.uuid });
    expect(unlock.exitCode).toBe(0);
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(false);
  });

  it('reads the state again instead of re-sending a toggle whose answer was lost', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    panel.sim.fault({ route: 'backups.lock', kind: 'reset-after' });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.lock')).toBe(1);
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(true);
  });

  it('toggles again, once, after a 502 that did not toggle', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    panel.sim.fault({ route: 'backups.lock', kind: 'status', status: 502, body: 'Bad Gateway' });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.lock')).toBe(2);
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(true);
  });

  it('reads the backup again before toggling once more when someone else toggled it at the same time', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    // The toggle's answer shows the backup still unlocked (another toggle crossed ours).
    panel.sim.fault({ route: 'backups.lock', kind: 'status', status: 200, body: { object: 'backup', attributes: b } });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toContain(`Backup ${b.uuid} is still unlocked (toggled by someone else at the same time?); reading it and trying again.`);
    expect(routes(panel).filter((route) => route.startsWith('backups.'))).toEqual(['backups.view', 'backups.lock', 'backups.view', 'backups.lock']);
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(true);
  });

  it('dry-run toggles nothing', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid, 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(routes(panel)).not.toContain('backups.lock');
    expect(panel.sim.backup(b.uuid)!.is_locked).toBe(false);
  });

  it('needs backup.delete', async () => {
    const b = panel.sim.addBackup(panel.server.identifier, { name: 'x' });
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read'] });
    const run = await act(panel, { operation: 'lock', 'backup-id': b.uuid }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the backup\.delete permission, which is needed to lock backups \(the panel ties locking to backup\.delete\)/);
  });
});
