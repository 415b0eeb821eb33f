import { ActionError } from '../errors.js';
import { backupState } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { describeBackup } from './get.js';
import { deliverArchive } from './fetch-archive.js';
import { Output } from '../constants.js';
import { readTargetBackup } from './target-backup.js';

/** `download`: a fresh signed URL for a successful backup. */
export async function downloadOperation(ctx: OperationContext): Promise<void> {
  const { server, backup } = await readTargetBackup(ctx, [['backup.download', 'download backups']]);
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
  if (ctx.settings.downloadPath !== undefined) {
    await deliverArchive(ctx, server, backup);
  } else {
    ctx.outputs.setDownloadUrl(await ctx.client.getDownloadUrl(ctx.serverId, backup.uuid), backup);
  }
  if (ctx.outputs.get(Output.DownloadUrl)) {
    ctx.log.info('download-url holds a fresh, unused signed URL (masked in logs; single use on the daemon, valid 15 minutes).');
  }
}
