/**
 * Why the websocket cannot be used:
 * - `no-permission`: the panel refused the credentials (403, no `websocket.connect`) or the token
 *   lacks `backup.read`, without which the daemon never sends backup events (Wings:
 *   router/websocket/websocket.go `SendJson`);
 * - `insecure`: a `ws://` socket without `allow-insecure-http`;
 * - `refused`: no connection, or the upgrade was answered with an error status other than 401/403
 *   (400 connection cap, 404 server not on this node);
 * - `rejected`: the daemon turned us away: 401/403 on the upgrade (its Origin check) or a
 *   `jwt error` in answer to `auth`;
 * - `state-conflict`: the panel answered 409 (suspended, restoring, transferring, not installed);
 * - `failed`: anything else (an unreadable credentials answer, a timeout).
 */
export type WebsocketUnavailableReason = 'no-permission' | 'insecure' | 'refused' | 'rejected' | 'state-conflict' | 'failed';

/** The server's websocket cannot be used for waiting; the message says why (never with the token). */
export class WebsocketUnavailableError extends Error {
  readonly reason: WebsocketUnavailableReason;
  constructor(reason: WebsocketUnavailableReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebsocketUnavailableError';
    this.reason = reason;
  }
}
