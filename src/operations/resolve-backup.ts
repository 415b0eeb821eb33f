import { ActionError } from '../errors.js';
import { PanelError } from '../panel/errors.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import type { BackupRef } from '../inputs/settings.js';
import { choosingMatcher } from '../retention/deletion-matcher.js';
import type { OperationContext } from './context.js';

/**
 * The backup `backup-id` names: a UUID, or `latest` — the newest successful backup, among those
 * matching `retention-match` when it is set.
 */
export async function resolveBackup(ctx: OperationContext, ref: BackupRef): Promise<Backup> {
  if (ref.kind === 'uuid') {
    try {
      return await ctx.client.getBackup(ctx.serverId, ref.uuid);
    } catch (error) {
      if (error instanceof PanelError && error.status === 404) {
        throw new ActionError(
          `backup ${ref.uuid} does not exist on this server (deleted, or it belongs to another server). Check backup-id, or list the backups with operation: list.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  const matches = choosingMatcher(ctx.settings);
  const { backups } = await ctx.client.listBackups(ctx.serverId);
  const candidates = backups.filter((backup) => matches(backup.name));
  const latest = candidates.find((backup) => backupState(backup) === 'successful');
  if (!latest) {
    const running = candidates.filter((backup) => backupState(backup) === 'pending').length;
    const failed = candidates.filter((backup) => backupState(backup) === 'failed').length;
    const scope = ctx.settings.retentionMatch.length > 0 ? ' matching retention-match' : '';
    throw new ActionError(
      `backup-id: latest found no successful backup${scope} (${candidates.length} backup(s)${scope}: ${running} running, ${failed} failed). ` +
        'Create one first, or wait for the running one to finish.',
    );
  }
  ctx.log.info(`backup-id: latest is ${latest.uuid} ('${latest.name}', created ${latest.createdAt}).`);
  return latest;
}
