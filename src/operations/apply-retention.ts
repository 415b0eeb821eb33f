import { ActionError } from '../errors.js';
import { formatBytes, formatElapsed } from '../format.js';
import { PanelError } from '../panel/errors.js';
import { createdAtMs } from '../panel/backups.js';
import { backupState } from '../panel/types.js';
import type { ServerInfo } from '../panel/types.js';
import { deletionMatcher } from '../retention/deletion-matcher.js';
import { planRetention } from '../retention/plan.js';
import type { OperationContext } from './context.js';

export interface RetentionOptions {
  server: ServerInfo;
  /** Never deleted: the backup this run created. */
  protectedUuids: ReadonlySet<string>;
  /** Dry run of create: the backups rotation would have deleted first. */
  alreadyDeleted?: ReadonlySet<string>;
  /** Dry run of create: the backup that would have been made counts among the newest. */
  pretend?: { name: string; createdAt: string };
}

/**
 * Applies keep / keep-daily / keep-weekly / keep-monthly / max-age / prune-failed: reads every
 * backup, plans with the pure planner, and deletes oldest first (or, in a dry run, only says so).
 * Every deletion is recorded in the `deleted` output and the summary. A deletion the panel
 * refuses does not stop the others; the step fails at the end, naming them.
 */
export async function applyRetention(ctx: OperationContext, options: RetentionOptions): Promise<void> {
  const { matches, description } = deletionMatcher(ctx.settings, ctx.workflow);
  const listed = (await ctx.client.listBackups(ctx.serverId)).backups;
  const backups = options.alreadyDeleted ? listed.filter((backup) => !options.alreadyDeleted?.has(backup.uuid)) : listed;
  const plan = planRetention({
    backups,
    rules: ctx.settings.retention,
    matches,
    now: ctx.now(),
    protectedUuids: options.protectedUuids,
    ...(options.pretend ? { pretend: options.pretend } : {}),
  });
  const considered = plan.decisions.filter((decision) => !decision.protectedBy.includes('not-matching')).length;
  ctx.log.info(
    `Retention: ${considered} of ${backups.length} backup(s) match ${description}; ${plan.toDelete.length} to delete${ctx.settings.dryRun ? ' (dry run: nothing is deleted)' : ''}.`,
  );
  ctx.outputs.startDeleted();
  const refused: string[] = [];
  for (const backup of plan.toDelete) {
    const age = formatElapsed(ctx.now() - createdAtMs(backup));
    const what = `backup ${backup.uuid} ('${backup.name}', ${backupState(backup)}, ${age} old${backup.isSuccessful ? `, ${formatBytes(backup.bytes)}` : ''})`;
    if (!ctx.settings.dryRun) {
      try {
        await ctx.client.deleteBackup(ctx.serverId, backup.uuid);
      } catch (error) {
        if (!(error instanceof PanelError)) throw error;
        refused.push(`${backup.uuid}: ${error.status} ${error.detail}`);
        ctx.log.warning(`Could not delete ${what}: ${error.detail}`);
        continue;
      }
    }
    ctx.outputs.addDeleted(backup.uuid);
    ctx.report.deleted.push({ uuid: backup.uuid, name: backup.name, createdAt: backup.createdAt, bytes: backup.bytes });
    ctx.log.info(`${ctx.settings.dryRun ? 'Would delete' : 'Deleted'} ${what}.`);
  }
  warnWhenAtLimit(ctx, options.server, plan.remainingNonFailed);
  if (refused.length > 0) {
    throw new ActionError(`retention could not delete ${refused.length} backup(s): ${refused.join('; ')}. The others were handled; run again or delete them by hand.`);
  }
}

/** Retention that keeps the server at its limit means the next create will be refused. */
function warnWhenAtLimit(ctx: OperationContext, server: ServerInfo, remaining: number): void {
  const limit = server.backupLimit;
  if (limit === null || limit <= 0 || ctx.settings.rotate || remaining < limit) return;
  ctx.log.warning(
    `Retention keeps ${remaining} backup(s) (running and successful) and the server's backup limit is ${limit}: the next create will be refused. ` +
      'Keep fewer, raise the limit, or set rotate: true.',
  );
}
