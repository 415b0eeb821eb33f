import { ActionError } from '../errors.js';
import { backupState } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { describeBackup } from './get.js';
import { resolveBackup } from './resolve-backup.js';
import { readServer, requirePermission } from './server.js';

/** `download`: a fresh signed URL for a successful backup. */
export async function downloadOperation(ctx: OperationContext): Promise<void> {
  const { server } = await readServer(ctx);
  requirePermission(server, 'backup.read', 'read backups');
  requirePermission(server, 'backup.download', 'download backups');
  const backup = await resolveBackup(ctx, ctx.settings.backupId!);
  ctx.outputs.setBackup(backup);
  ctx.report.backup = backup;
  ctx.log.info(describeBackup(backup));
  const state = backupState(backup);
  // The panel hands out URLs for running and failed backups too (panel-api.md §4.4): a partial
  // or missing archive. Only a successful backup is worth downloading.
  if (state !== 'successful') {
    throw new ActionError(
      `backup ${backup.uuid} ('${backup.name}') is ${state === 'pending' ? 'still running' : 'failed'}; only a successful backup can be downloaded.` +
        (state === 'pending' ? ' Wait for it to finish (operation: create waits by default), then run again.' : ' Use another backup, e.g. backup-id: latest.'),
    );
  }
  const url = await ctx.client.getDownloadUrl(ctx.serverId, backup.uuid);
  ctx.outputs.setDownloadUrl(url, backup);
  ctx.log.info('download-url holds a fresh signed URL (masked in logs; single use on the daemon, valid 15 minutes).');
}
