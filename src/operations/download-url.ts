import { PanelError } from '../panel/errors.js';
import { hasPermission } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import type { OperationContext } from './context.js';

/**
 * Sets `download-url` to a fresh signed URL for a successful backup after a create. The backup
 * itself succeeded, so a key without `backup.download` only costs the output (with a notice).
 */
export async function offerDownloadUrl(ctx: OperationContext, server: ServerInfo, backup: Backup): Promise<void> {
  if (hasPermission(server.permissions, 'backup.download') === false) {
    ctx.log.info("download-url is left empty: the key's user lacks the backup.download permission.");
    return;
  }
  try {
    ctx.outputs.setDownloadUrl(await ctx.client.getDownloadUrl(ctx.serverId, backup.uuid), backup);
  } catch (error) {
    if (!(error instanceof PanelError)) throw error;
    ctx.log.warning(`download-url is left empty: the panel refused a download link (${error.status}: ${error.detail}).`);
  }
}
