import { ActionError } from '../errors.js';
import { formatBytes, formatElapsed } from '../format.js';
import { createdAtMs, slotsHeld } from '../panel/backups.js';
import { PanelError } from '../panel/errors.js';
import { backupState } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import { deletionMatcher } from '../retention/deletion-matcher.js';
import { planRotation } from '../retention/plan.js';
import type { RotationBlock } from '../retention/plan.js';
import type { NameMatcher } from '../retention/name-match.js';
import type { OperationContext } from './context.js';

/** The panel's "limit reached" refusal of a create (panel-api.md §5.3). */
export function isBackupLimitReached(error: PanelError): boolean {
  return error.status === 400 && error.code === 'TooManyBackupsException';
}

/** How often one rotation re-plans when the backup it chose was locked in the meantime. */
const MAX_REPLANS = 3;

/**
 * `rotate` for one create: each time the panel refuses because the server is at its backup limit,
 * deletes the oldest successful, unlocked backup matching retention-match (never a running,
 * failed, locked, unmatched or undated one, and not the newest unless the limit is 1: stricter
 * than the panel's own schedules, panel-api.md §6), so the create can be sent again.
 *
 * Bounded: it deletes at most as many backups as the server holds above its limit, plus one, and
 * stops when a deletion did not lower the count (another run or a schedule is adding backups), so
 * a panel that keeps refusing cannot make it empty the server. Throws, saying why, when nothing
 * may be deleted.
 */
export function rotationFor(ctx: OperationContext, server: ServerInfo): (refusal: PanelError) => Promise<void> {
  const { matches, description } = deletionMatcher(ctx.settings, ctx.workflow);
  const deleted: string[] = [];
  let budget: number | undefined;
  let countBefore: number | undefined;

  return async (refusal) => {
    if (server.backupLimit === 0 || /limit of 0 backups/.test(refusal.detail)) {
      throw new ActionError("backups are disabled on this server (its backup limit is 0); rotation cannot make room. Ask the panel's administrator to raise the limit.", { cause: refusal });
    }
    for (let replan = 0; ; replan++) {
      const { backups, backupCount } = await ctx.client.listBackups(ctx.serverId);
      const count = backupCount ?? slotsHeld(backups);
      if (deleted.length > 0 && countBefore !== undefined && count >= countBefore) {
        throw stillRefused(refusal, deleted, `the server now holds ${count} backup(s), no fewer than before: another run or a schedule may be creating backups on it`);
      }
      budget ??= server.backupLimit === null ? 1 : Math.max(1, count - server.backupLimit + 1);
      if (deleted.length >= budget) {
        throw stillRefused(refusal, deleted, `that is as many as the server held above its limit of ${server.backupLimit ?? 'unknown'}`);
      }
      const { victim, reason } = planRotation({ backups, matches, protectedUuids: new Set(), backupLimit: server.backupLimit });
      if (!victim) throw nothingToRotate(refusal.detail, description, reason);
      announce(ctx, victim, backups, { matches, description }, 'deletes');
      try {
        await ctx.client.deleteBackup(ctx.serverId, victim.uuid);
      } catch (error) {
        // Between the list and the delete someone may have locked it (400) or deleted it (404).
        if (error instanceof PanelError && error.status === 404) {
          ctx.log.info(`Backup ${victim.uuid} was already gone; sending the create again.`);
          countBefore = count;
          return;
        }
        if (error instanceof PanelError && error.code === 'BackupLockedException' && replan < MAX_REPLANS) {
          ctx.log.info(`Backup ${victim.uuid} was locked in the meantime; choosing again.`);
          continue;
        }
        throw error;
      }
      countBefore = count;
      deleted.push(victim.uuid);
      record(ctx, victim);
      return;
    }
  };
}

/**
 * Dry run of a create with `rotate`: when the server is at its limit, says which backups rotation
 * would delete (and records them as deleted, as the real run would), or why it would fail.
 * Returns the UUIDs it would delete, for retention to plan without them.
 */
export async function previewRotation(ctx: OperationContext, server: ServerInfo): Promise<Set<string>> {
  const chosen = new Set<string>();
  const limit = server.backupLimit;
  if (limit === null) return chosen;
  const { backups, backupCount } = await ctx.client.listBackups(ctx.serverId);
  const count = backupCount ?? slotsHeld(backups);
  if (count < limit) return chosen;
  if (limit === 0) {
    ctx.log.warning('A real run would fail: backups are disabled on this server (its backup limit is 0).');
    return chosen;
  }
  const { matches, description } = deletionMatcher(ctx.settings, ctx.workflow);
  ctx.log.info(`The server holds ${count} of ${limit} backups, so the panel would refuse the create and rotate would make room first.`);
  let remaining = backups;
  for (let i = 0; i < count - limit + 1; i++) {
    const { victim, reason } = planRotation({ backups: remaining, matches, protectedUuids: new Set(), backupLimit: limit });
    if (!victim) {
      ctx.log.warning(`A real run would fail: ${nothingToRotate(`the server has reached its limit of ${limit} backups`, description, reason).message}`);
      break;
    }
    announce(ctx, victim, remaining, { matches, description }, 'would delete');
    chosen.add(victim.uuid);
    record(ctx, victim);
    remaining = remaining.filter((backup) => backup !== victim);
  }
  return chosen;
}

function announce(ctx: OperationContext, victim: Backup, backups: Backup[], match: { matches: NameMatcher; description: string }, verb: string): void {
  const what = `backup ${victim.uuid} ('${victim.name}', ${formatElapsed(ctx.now() - createdAtMs(victim))} old, ${formatBytes(victim.bytes)})`;
  ctx.log.info(`The server is at its backup limit; rotate ${verb} the oldest matching backup, ${what}.`);
  const othersLeft = backups.filter((backup) => backup.uuid !== victim.uuid && match.matches(backup.name) && backupState(backup) === 'successful');
  if (othersLeft.length === 0) {
    // At a limit of 1 rotation has no newest-backup floor (it could never make room): say what that means.
    ctx.log.warning(
      `Rotate ${verb} backup ${victim.uuid}, the last successful backup matching ${match.description}: until the new backup succeeds there is none. ` +
        'Retention after a successful create (keep) makes room without this gap; a higher backup limit avoids it.',
    );
  }
}

function record(ctx: OperationContext, victim: Backup): void {
  ctx.outputs.addDeleted(victim.uuid);
  ctx.report.deleted.push({ uuid: victim.uuid, name: victim.name, createdAt: victim.createdAt, bytes: victim.bytes });
}

function nothingToRotate(refusalDetail: string, description: string, reason: RotationBlock | undefined): ActionError {
  const why = {
    'none-matching': `no backup matches ${description}; backups made by hand or by other repositories are never rotated. Set retention-match to choose which may go`,
    'none-successful': `no successful backup matches ${description} (the matching ones are running or failed)`,
    'all-locked': `every successful backup matching ${description} is locked`,
    'only-newest': `the only unlocked successful backup matching ${description} is the newest, which rotate keeps unless the limit is 1. Raise the backup limit, or delete or unlock another backup`,
    'all-protected': `every successful backup matching ${description} is locked, the newest, or has an unreadable created_at`,
  }[reason ?? 'none-matching'];
  return new ActionError(`the server is at its backup limit (${refusalDetail}) and rotate found nothing it may delete: ${why}.`);
}

function stillRefused(refusal: PanelError, deleted: string[], why: string): ActionError {
  return new ActionError(
    `the panel still refuses the create (${refusal.detail}) after rotate deleted ${deleted.length} backup(s) (${deleted.join(', ')}); ${why}. ` +
      'Nothing more is deleted. Check the server\'s backups in the panel, then run again.',
    { cause: refusal },
  );
}

/** With a limit of 1, the only backup goes before the new one exists. */
export function warnAboutLimitOfOne(ctx: OperationContext, server: ServerInfo): void {
  if (ctx.settings.rotate && server.backupLimit === 1) {
    ctx.log.warning(
      "The server's backup limit is 1: rotate deletes the only backup before the new one exists, so a failed new backup leaves none. Ask for a limit of at least 2.",
    );
  }
}
