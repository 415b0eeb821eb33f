import { applyRetention } from './apply-retention.js';
import type { OperationContext } from './context.js';
import { readServer, requirePermission } from './server.js';

/** `prune`: apply the retention rules without creating anything. */
export async function pruneOperation(ctx: OperationContext): Promise<void> {
  const { server } = await readServer(ctx);
  requirePermission(server, 'backup.read', 'read backups');
  requirePermission(server, 'backup.delete', 'delete backups');
  await applyRetention(ctx, { server, protectedUuids: new Set() });
}
