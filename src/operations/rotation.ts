import { ActionError } from '../errors.js';
import { formatBytes, formatElapsed } from '../format.js';
import { createdAtMs } from '../panel/backups.js';
import { backupState } from '../panel/types.js';
import type { PanelError } from '../panel/errors.js';
import type { ServerInfo } from '../panel/types.js';
import { deletionMatcher } from '../retention/deletion-matcher.js';
import { planRotation } from '../retention/plan.js';
import type { OperationContext } from './context.js';

/** The panel's "limit reached" refusal of a create (panel-api.md §5.3). */
export function isBackupLimitReached(error: PanelError): boolean {
  return error.status === 400 && error.code === 'TooManyBackupsException';
}

/**
 * `rotate`: the panel refused the create because the server is at its backup limit. Deletes the
 * oldest successful, unlocked backup matching retention-match (never a running, failed, locked
 * or unmatched one — stricter than the panel's own schedules, panel-api.md §6), so the create can
 * be sent again. Throws, saying why, when nothing may be deleted.
 */
export async function rotateOneBackup(ctx: OperationContext, server: ServerInfo, refusal: PanelError): Promise<void> {
  if (server.backupLimit === 0 || /limit of 0 backups/.test(refusal.detail)) {
    throw new ActionError("backups are disabled on this server (its backup limit is 0); rotation cannot make room. Ask the panel's administrator to raise the limit.", { cause: refusal });
  }
  const { matches, description } = deletionMatcher(ctx.settings, ctx.workflow);
  const { backups } = await ctx.client.listBackups(ctx.serverId);
  const { victim, reason } = planRotation({ backups, matches, protectedUuids: new Set() });
  if (!victim) {
    const why = {
      'none-matching': `no backup matches ${description}; backups made by hand or by other repositories are never rotated. Set retention-match to choose which may go`,
      'none-successful': `no successful backup matches ${description} (the matching ones are running or failed)`,
      'all-locked': `every successful backup matching ${description} is locked`,
      'all-protected': `every backup matching ${description} is protected`,
    }[reason ?? 'none-matching'];
    throw new ActionError(`the server is at its backup limit (${refusal.detail}) and rotate found nothing it may delete: ${why}.`, { cause: refusal });
  }
  const what = `backup ${victim.uuid} ('${victim.name}', ${formatElapsed(ctx.now() - createdAtMs(victim))} old, ${formatBytes(victim.bytes)})`;
  ctx.log.info(`The server is at its backup limit; rotate deletes the oldest matching backup, ${what}.`);
  const othersLeft = backups.filter((backup) => backup.uuid !== victim.uuid && matches(backup.name) && backupState(backup) === 'successful');
  if (othersLeft.length === 0) {
    // Rotation has no newest-backup floor (it could never make room at a limit of 1): say what that means.
    ctx.log.warning(
      `Rotate is deleting backup ${victim.uuid}, the last successful backup matching ${description}: until the new backup succeeds there is none. ` +
        'Retention after a successful create (keep) makes room without this gap; a higher backup limit avoids it.',
    );
  }
  await ctx.client.deleteBackup(ctx.serverId, victim.uuid);
  ctx.outputs.addDeleted(victim.uuid);
  ctx.report.deleted.push({ uuid: victim.uuid, name: victim.name, createdAt: victim.createdAt, bytes: victim.bytes });
}

/** With a limit of 1, the only backup goes before the new one exists. */
export function warnAboutLimitOfOne(ctx: OperationContext, server: ServerInfo): void {
  if (ctx.settings.rotate && server.backupLimit === 1) {
    ctx.log.warning(
      "The server's backup limit is 1: rotate deletes the only backup before the new one exists, so a failed new backup leaves none. Ask for a limit of at least 2.",
    );
  }
}
