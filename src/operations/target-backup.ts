import type { Backup, ServerInfo } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { resolveBackup } from './resolve-backup.js';
import { readServer, requirePermission } from './server.js';

/**
 * The start of every operation on one existing backup: read the server, check the permissions
 * the panel says the key lacks (each with what it is needed for), resolve `backup-id`, and
 * report the backup in the outputs and summary.
 */
export async function readTargetBackup(
  ctx: OperationContext,
  needs: Array<[permission: string, purpose: string]>,
  /** Refusals that depend on the server alone, made before the backup is read. */
  checkServer?: (server: ServerInfo) => void,
): Promise<{ server: ServerInfo; backup: Backup; panelDate: Date | undefined; readAt: number }> {
  // Known before anything is read: a refusal still tells later steps which backup it was about.
  const ref = ctx.settings.backupId;
  if (ref?.kind === 'uuid') ctx.outputs.setUuid(ref.uuid);
  const view = await readServer(ctx);
  const readAt = ctx.now();
  requirePermission(view.server, 'backup.read', 'read backups');
  for (const [permission, purpose] of needs) requirePermission(view.server, permission, purpose);
  checkServer?.(view.server);
  const backup = await resolveBackup(ctx, ctx.settings.backupId!);
  ctx.outputs.setBackup(backup);
  ctx.report.backup = backup;
  return { server: view.server, backup, panelDate: view.panelDate, readAt };
}
