import { ActionError } from '../errors.js';
import { formatBytes } from '../format.js';
import { backupState } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { readTargetBackup } from './target-backup.js';

/** `delete`: one backup, named by UUID. A locked, successful backup is refused, as the panel would. */
export async function deleteOperation(ctx: OperationContext): Promise<void> {
  const { backup } = await readTargetBackup(ctx, [['backup.delete', 'delete backups']]);
  const state = backupState(backup);
  if (backup.isLocked && state === 'successful') {
    throw new ActionError(
      `backup ${backup.uuid} ('${backup.name}') is locked, so it is not deleted. Unlock it first (operation: unlock) if it really should go.`,
    );
  }
  const entry = { uuid: backup.uuid, name: backup.name, createdAt: backup.createdAt, bytes: backup.bytes };
  const what = `backup ${backup.uuid} ('${backup.name}', ${state}${state === 'successful' ? `, ${formatBytes(backup.bytes)}` : ''}, created ${backup.createdAt})`;
  if (state === 'pending') ctx.log.warning(`Backup ${backup.uuid} is still running; deleting it stops it.`);
  if (ctx.settings.dryRun) {
    const note = `Dry run: would delete ${what}. Nothing was changed.`;
    ctx.log.info(note);
    ctx.report.notes.push(note);
  } else {
    await ctx.client.deleteBackup(ctx.serverId, backup.uuid);
    ctx.log.info(`Deleted ${what}.`);
  }
  // Listed only once deleted (or, in a dry run, as what would be): a later step may act on it.
  ctx.outputs.addDeleted(backup.uuid);
  ctx.report.deleted.push(entry);
}
