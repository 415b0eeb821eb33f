import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/operations/context.js';
import { rotationFor } from '../../src/operations/rotation.js';
import { findRecentBackup } from '../../src/operations/skip-recent.js';
import { PanelError } from '../../src/panel/errors.js';
import type { Backup, ServerInfo } from '../../src/panel/types.js';
import { OutputCollector } from '../../src/report/outputs.js';
import { newRunReport } from '../../src/report/run-report.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const backup = (uuid: string, hoursAgo: number, name = `octo/site@${uuid} run 1.1`): Backup => {
  const at = new Date(NOW - hoursAgo * 3_600_000).toISOString();
  return { uuid, name, isSuccessful: true, isLocked: false, checksum: `sha1:${'a'.repeat(40)}`, bytes: 1, createdAt: at, completedAt: at, ignoredFiles: [], attributes: {} };
};
const refusal = new PanelError(
  400,
  'TooManyBackupsException',
  ['Cannot create a new backup, this server has reached its limit of 3 backups.'],
  { method: 'POST', path: '/servers/1a2b3c4d/backups', permission: 'backup.create' },
  {},
);

/** A panel whose list is `list()` each time, recording deletes; a delete may throw. */
function context(list: () => { backups: Backup[]; backupCount: number | undefined }, onDelete: (uuid: string) => void = () => {}) {
  const deletes: string[] = [];
  const ctx = {
    serverId: '1a2b3c4d',
    settings: { retentionMatch: [], rotate: true, dryRun: false, retention: {} },
    workflow: { repository: 'octo/site' },
    now: () => NOW,
    log: { info: () => {}, warning: () => {}, notice: () => {}, debug: () => {} },
    outputs: new OutputCollector(),
    report: newRunReport(NOW),
    client: {
      listBackups: async () => list(),
      deleteBackup: async (_id: string, uuid: string) => {
        deletes.push(uuid);
        onDelete(uuid);
      },
    },
  } as unknown as OperationContext;
  return { ctx, deletes };
}
const server = (backupLimit: number | null) => ({ backupLimit }) as ServerInfo;

describe('rotationFor', () => {
  it('stops when a deletion did not lower the count (another run is adding backups)', async () => {
    const backups = [backup('a', 50), backup('b', 40), backup('c', 30), backup('d', 20), backup('e', 10)];
    const { ctx, deletes } = context(() => ({ backups, backupCount: 5 }));
    const makeRoom = rotationFor(ctx, server(3));
    await makeRoom(refusal);
    await expect(makeRoom(refusal)).rejects.toThrow(/no fewer than before: another run or a schedule may be creating backups on it/);
    expect(deletes).toEqual(['a']);
  });

  it('deletes one backup only when the limit is unknown', async () => {
    let backups = [backup('a', 50), backup('b', 40), backup('c', 30)];
    const { ctx, deletes } = context(
      () => ({ backups, backupCount: backups.length }),
      (uuid) => (backups = backups.filter((b) => b.uuid !== uuid)),
    );
    const makeRoom = rotationFor(ctx, server(null));
    await makeRoom(refusal);
    await expect(makeRoom(refusal)).rejects.toThrow(/as many as the server held above its limit of unknown/);
    expect(deletes).toEqual(['a']);
  });

  it('does not count as its own a backup that was already gone', async () => {
    const backups = [backup('a', 50), backup('b', 40), backup('c', 30)];
    const notFound = new PanelError(404, 'NotFoundHttpException', ['gone'], { method: 'DELETE', path: '/x', permission: undefined }, {});
    const { ctx } = context(
      () => ({ backups, backupCount: 3 }),
      () => {
        throw notFound;
      },
    );
    await rotationFor(ctx, server(3))(refusal);
    expect(ctx.outputs.get('deleted')).toBeUndefined();
    expect(ctx.report.deleted).toEqual([]);
  });
});

describe('findRecentBackup', () => {
  const recentContext = (backups: Backup[]) => context(() => ({ backups, backupCount: backups.length })).ctx;

  it('reports a backup younger than the threshold, and not one exactly as old', async () => {
    const sixHours = 6 * 3_600_000;
    expect((await findRecentBackup(recentContext([backup('young', 5.9)]), sixHours))?.uuid).toBe('young');
    expect(await findRecentBackup(recentContext([backup('edge', 6)]), sixHours)).toBeUndefined();
  });
});
