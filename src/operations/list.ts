import { formatBytes } from '../format.js';
import { backupState } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { readServer, requirePermission } from './server.js';

/** `list`: every backup of the server (every page), newest first. */
export async function listOperation(ctx: OperationContext): Promise<void> {
  const { server } = await readServer(ctx);
  requirePermission(server, 'backup.read', 'list backups');
  const { backups, backupCount } = await ctx.client.listBackups(ctx.serverId);
  ctx.outputs.setBackups(backups);
  ctx.report.backups = backups;
  const count = (state: string): number => backups.filter((backup) => backupState(backup) === state).length;
  const limit = server.backupLimit === null ? '' : `; ${backupCount ?? count('successful') + count('pending')} of the limit of ${server.backupLimit} in use`;
  ctx.log.info(
    `${backups.length} backup(s) on server ${ctx.serverId}: ${count('successful')} successful, ${count('pending')} running, ${count('failed')} failed${limit}.`,
  );
  for (const backup of backups) {
    const size = backupState(backup) === 'successful' ? formatBytes(backup.bytes) : '';
    ctx.log.info(`  ${backup.createdAt}  ${backup.uuid}  ${backupState(backup).padEnd(10)} ${backup.isLocked ? 'locked ' : '       '}${size.padStart(10)}  ${backup.name}`);
  }
}
