import { WebSocket, getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { toNetworkError } from '../../http/network-error.js';
import { secrets } from '../../secrets.js';
import { WebsocketUnavailableError } from './errors.js';
import { errorText } from './frames.js';
import { tapUpgrade } from './upgrade-tap.js';
import type { UpgradeTap } from './upgrade-tap.js';

export interface SocketConnectionOptions {
  /** `ws:` or `wss:`. */
  url: URL;
  origin: string;
  /** Where the Origin came from, for the message when the daemon's Origin check refuses it. */
  originSource?: string;
  /** Proxy-aware; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  /** Aborts the opening (the reason is thrown). */
  signal: AbortSignal;
  /** Longest wait for the upgrade. */
  openTimeoutMs: number;
  /** Longest wait for the closing handshake before the socket is destroyed. */
  closeGraceMs: number;
  onText: (text: string, connection: SocketConnection) => void;
  /** The connection ended without `close()` being called (at most once). */
  onDropped: (why: string, connection: SocketConnection) => void;
}

/**
 * One WebSocket connection to the daemon (undici's WebSocket, which sends the `Origin` given in
 * `headers`). `open` resolves once upgraded; a refused upgrade or connection becomes a
 * `WebsocketUnavailableError` saying what the daemon answered.
 */
export class SocketConnection {
  private readonly ws: WebSocket;
  private readonly tap: UpgradeTap;
  private readonly options: SocketConnectionOptions;
  private state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  private graceTimer: NodeJS.Timeout | undefined;

  private constructor(options: SocketConnectionOptions, ws: WebSocket, tap: UpgradeTap) {
    this.options = options;
    this.ws = ws;
    this.tap = tap;
  }

  static open(options: SocketConnectionOptions): Promise<SocketConnection> {
    const { signal } = options;
    if (signal.aborted) return Promise.reject(signal.reason);
    const tap: UpgradeTap = {};
    const dispatcher = tapUpgrade(options.dispatcher ?? getGlobalDispatcher(), tap);
    const ws = new WebSocket(options.url.href, { headers: { Origin: options.origin }, dispatcher });
    ws.binaryType = 'arraybuffer';
    const connection = new SocketConnection(options, ws, tap);
    return new Promise<SocketConnection>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) {
          resolve(connection);
          return;
        }
        connection.close();
        reject(error);
      };
      const onAbort = (): void => settle(signal.reason);
      const timer = setTimeout(
        () => settle(new WebsocketUnavailableError('failed', `the daemon's websocket did not answer the upgrade within ${Math.round(options.openTimeoutMs / 1000)} s.`)),
        options.openTimeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      ws.addEventListener('open', () => {
        connection.state = 'open';
        settle();
      });
      ws.addEventListener('message', (event) => {
        if (connection.state === 'open' && typeof event.data === 'string') options.onText(event.data, connection);
      });
      ws.addEventListener('error', (event) => {
        if (!settled) settle(upgradeFailure(tap, options, event.message));
        else connection.ended(`the connection failed (${event.message})`);
      });
      ws.addEventListener('close', (event) => {
        if (!settled) settle(upgradeFailure(tap, options, `closed with code ${event.code}`));
        else connection.ended(`the daemon closed the connection (code ${event.code}${event.reason ? ` "${errorText(event.reason)}"` : ''})`);
      });
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  send(text: string): void {
    if (this.state === 'open') this.ws.send(text);
  }

  /**
   * Starts the closing handshake (code 1000); the socket is destroyed if the daemon has not
   * finished it within `closeGraceMs`. `onDropped` is not called.
   */
  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closing';
    if (!wasOpen) {
      // Before the upgrade undici aborts the request (and fires only `error`).
      this.ws.close();
      this.finish();
      return;
    }
    this.ws.close(1000);
    this.graceTimer = setTimeout(() => {
      this.tap.socket?.destroy();
      this.finish();
    }, this.options.closeGraceMs);
    this.graceTimer.unref();
  }

  private ended(why: string): void {
    const dropped = this.state === 'open';
    if (dropped) {
      // An `error` after the upgrade may come without a `close`: make sure the socket is gone.
      this.state = 'closing';
      this.tap.socket?.destroy();
    }
    this.finish();
    if (dropped) this.options.onDropped(secrets.redact(why), this);
  }

  private finish(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.state = 'closed';
  }
}

/** The error for an upgrade that did not happen, from what the tap saw. */
function upgradeFailure(tap: UpgradeTap, options: SocketConnectionOptions, undiciMessage: string): WebsocketUnavailableError {
  const target = `${options.url.protocol}//${options.url.host}${options.url.pathname}`;
  if (tap.status !== undefined && tap.status !== 101) {
    const statusText = tap.statusText ? errorText(tap.statusText) : '';
    const answer = `${tap.status}${statusText ? ` ${statusText}` : ''}${bodyDetail(tap.body, statusText)}`;
    if (tap.status === 401 || tap.status === 403) {
      // gorilla's CheckOrigin failure is a plain 403 (Wings: router/websocket/websocket.go `GetHandler`).
      return new WebsocketUnavailableError(
        'rejected',
        `the daemon refused the websocket upgrade at ${target} with ${answer}: its Origin check accepts only its \`remote\` panel URL or an \`allowed_origins\` entry, and the Origin sent was '${options.origin}'${options.originSource ? ` (${options.originSource})` : ''}.`,
      );
    }
    const hint =
      tap.status === 400 ? ' (the daemon allows 30 sockets per server)' : tap.status === 404 ? ' (the server is not on this node)' : '';
    return new WebsocketUnavailableError('refused', `the daemon refused the websocket upgrade at ${target} with ${answer}${hint}.`);
  }
  if (tap.error) {
    const error = toNetworkError(tap.error, `GET ${target}`);
    const reason = ['refused', 'dns', 'connect-timeout', 'reset', 'response-timeout'].includes(error.kind) ? 'refused' : 'failed';
    return new WebsocketUnavailableError(reason, secrets.redact(error.message), { cause: tap.error });
  }
  return new WebsocketUnavailableError('failed', `the websocket at ${target} could not be opened: ${errorText(undiciMessage)}`);
}

/** ` ("Too many open websocket connections.")` from a JSON `{"error": ...}` or a short text body. */
function bodyDetail(body: string | undefined, statusText: string): string {
  const text = body?.trim();
  if (!text || /<html|<!doctype/i.test(text)) return '';
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed?.error === 'string') detail = parsed.error;
  } catch {
    // Plain text, e.g. gorilla's "Forbidden".
  }
  detail = errorText(detail.split('\n')[0] ?? '').slice(0, 120);
  return detail && detail.toLowerCase() !== statusText.toLowerCase() ? ` ("${detail}")` : '';
}
