import { formatElapsed } from '../format.js';
import { createdAtMs } from '../panel/backups.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import { choosingMatcher } from '../retention/deletion-matcher.js';
import type { OperationContext } from './context.js';

/**
 * `skip-if-newer-than`: the newest successful backup matching retention-match (every backup when
 * it is empty) that is younger than the threshold, if any.
 */
export async function findRecentBackup(ctx: OperationContext, thresholdMs: number): Promise<Backup | undefined> {
  const matches = choosingMatcher(ctx.settings);
  const { backups } = await ctx.client.listBackups(ctx.serverId);
  const recent = backups.find((backup) => backupState(backup) === 'successful' && matches(backup.name));
  if (!recent) return undefined;
  const age = ctx.now() - createdAtMs(recent);
  if (age >= thresholdMs) return undefined;
  ctx.log.info(
    `Skipping the create: backup ${recent.uuid} ('${recent.name}') succeeded ${formatElapsed(Math.max(0, age))} ago, within skip-if-newer-than (${formatElapsed(thresholdMs)}).`,
  );
  return recent;
}
