import { ActionError } from '../errors.js';
import { hasPermission } from '../panel/types.js';
import type { ServerInfo, ServerView } from '../panel/types.js';
import type { OperationContext } from './context.js';

/** Reads the server (always allowed, even mid-restore) and notes its name for the summary. */
export async function readServer(ctx: OperationContext): Promise<ServerView> {
  const view = await ctx.client.getServer(ctx.serverId);
  ctx.report.server = { id: ctx.serverId, name: view.server.name };
  ctx.log.debug(
    `Server ${view.server.identifier} (${view.server.name}): status ${view.server.status ?? 'null'}, backup limit ${view.server.backupLimit ?? 'unknown'}, permissions ${view.server.permissions?.join(',') ?? 'unknown'}.`,
  );
  return view;
}

/**
 * Fails before the request when the panel has told us (`meta.user_permissions`) that the key's
 * user lacks a permission, so the user gets the reason instead of a bare 403.
 */
export function requirePermission(server: ServerInfo, permission: string, purpose: string): void {
  if (hasPermission(server.permissions, permission) === false) {
    throw new ActionError(
      `the API key's user lacks the ${permission} permission, which is needed to ${purpose}. ` +
        `Grant it to the subuser on this server (it has: ${server.permissions?.join(', ') || 'none'}), or use the server owner's key.`,
    );
  }
}
