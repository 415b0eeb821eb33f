import type { OperationContext } from '../../operations/context.js';
import { PanelError } from '../../panel/errors.js';
import { hasPermission } from '../../panel/types.js';
import type { ServerInfo } from '../../panel/types.js';
import { WebsocketUnavailableError } from './errors.js';
import type { ServerSocketOptions } from './server-socket.js';

/** What opening the server's socket takes from an operation: fresh credentials, the panel URL, the proxy rules, cancellation. */
export function socketAccess(ctx: OperationContext): Pick<ServerSocketOptions, 'credentials' | 'panelUrl' | 'allowInsecureHttp' | 'dispatcherFor' | 'signal'> {
  return {
    credentials: () => ctx.client.getWebsocketCredentials(ctx.serverId),
    panelUrl: ctx.settings.panelUrl,
    allowInsecureHttp: ctx.settings.allowInsecureHttp,
    dispatcherFor: (url) => ctx.transport.dispatcherFor(url),
    signal: ctx.signal,
  };
}

/**
 * Opens something on the server's socket, or says why the socket cannot be had (a clause, with no
 * full stop): the key's user lacks `websocket.connect`, the panel refused the credentials, or the
 * daemon refused the connection. Anything else is thrown.
 */
export async function openOnSocket<T>(server: ServerInfo, open: () => Promise<T>): Promise<{ opened: T } | { reason: string }> {
  if (hasPermission(server.permissions, 'websocket.connect') === false) return { reason: "the key's user lacks the websocket.connect permission" };
  try {
    return { opened: await open() };
  } catch (error) {
    if (!(error instanceof WebsocketUnavailableError || error instanceof PanelError)) throw error;
    // The messages are sentences; the reason goes inside one.
    return { reason: error.message.replace(/\.$/, '') };
  }
}
