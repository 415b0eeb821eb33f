import { formatBytes } from '../format.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { readTargetBackup } from './target-backup.js';

/** `get`: one backup (a UUID or `latest`) and its state. */
export async function getOperation(ctx: OperationContext): Promise<void> {
  const { backup } = await readTargetBackup(ctx, []);
  ctx.log.info(describeBackup(backup));
}

export function describeBackup(backup: Backup): string {
  const state = backupState(backup);
  const size = state === 'successful' ? `, ${formatBytes(backup.bytes)}, ${backup.checksum ?? 'no checksum'}` : '';
  return `Backup ${backup.uuid} ('${backup.name}'): ${state}${backup.isLocked ? ', locked' : ''}${size}, created ${backup.createdAt}.`;
}
