import { ActionError } from '../errors.js';
import { isUnclearFailure } from '../panel/unclear-failure.js';
import type { Backup } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { readTargetBackup } from './target-backup.js';

/** Toggles sent at most (each after reading the state again). */
const MAX_TOGGLES = 3;

/**
 * `lock` / `unlock`. The panel only toggles (`POST .../lock`, panel-api.md §1), so the state is
 * read first and the toggle sent only when needed; after an unclear answer the state is read
 * again before anything is re-sent, so a toggle is never repeated blindly.
 */
export async function lockOperation(ctx: OperationContext, wantLocked: boolean): Promise<void> {
  const verb = wantLocked ? 'lock' : 'unlock';
  let { backup } = await readTargetBackup(ctx, [['backup.delete', `${verb} backups (the panel ties locking to backup.delete)`]]);
  const report = (fresh: Backup): void => {
    backup = fresh;
    ctx.outputs.setBackup(fresh);
    ctx.report.backup = fresh;
  };
  if (backup.isLocked === wantLocked) {
    ctx.log.info(`Backup ${backup.uuid} ('${backup.name}') is already ${verb}ed; nothing to do.`);
    return;
  }
  if (ctx.settings.dryRun) {
    const note = `Dry run: would ${verb} backup ${backup.uuid} ('${backup.name}'). Nothing was changed.`;
    ctx.log.info(note);
    ctx.report.notes.push(note);
    return;
  }
  for (let toggles = 1; toggles <= MAX_TOGGLES; toggles++) {
    try {
      report(await ctx.client.toggleLock(ctx.serverId, backup.uuid));
    } catch (error) {
      if (!isUnclearFailure(error)) throw error;
      ctx.log.warning(`The ${verb} request failed without a clear answer (${(error as Error).message}); reading the backup again.`);
      report(await ctx.client.getBackup(ctx.serverId, backup.uuid));
      if (backup.isLocked !== wantLocked) continue; // the toggle did not happen: send it, once the state is known
    }
    if (backup.isLocked === wantLocked) {
      ctx.log.info(`Backup ${backup.uuid} ('${backup.name}') is now ${verb}ed.`);
      return;
    }
    ctx.log.warning(`Backup ${backup.uuid} is still ${wantLocked ? 'unlocked' : 'locked'} (toggled by someone else at the same time?); reading it and trying again.`);
    report(await ctx.client.getBackup(ctx.serverId, backup.uuid));
    if (backup.isLocked === wantLocked) return;
  }
  throw new ActionError(`backup ${backup.uuid} could not be ${verb}ed: its lock kept changing. Check who else changes it, then run again.`);
}
