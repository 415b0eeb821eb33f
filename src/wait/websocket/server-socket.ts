import type { Dispatcher } from 'undici';
import { PanelError } from '../../panel/errors.js';
import { secrets } from '../../secrets.js';
import { SocketConnection } from './connection.js';
import { WebsocketUnavailableError } from './errors.js';
import { decodeTokenClaims } from './jwt-claims.js';
import type { SocketTokenClaims } from './jwt-claims.js';
import { socketOrigins } from './origin.js';
import type { SocketOrigin } from './origin.js';

export interface ServerSocketOptions {
  /** Fetches fresh credentials (GET /api/client/servers/{id}/websocket through PanelClient); may throw PanelError (403 no websocket.connect, 409 state). */
  credentials: () => Promise<{ token: string; socket: string }>;
  /** For the Origin fallback: the panel URL as given, path prefix kept, no trailing slash. */
  panelUrl: URL;
  /** `ws://` needs it. */
  allowInsecureHttp: boolean;
  /** Proxy-aware dispatcher for an http(s) URL (`HttpTransport.dispatcherFor`); undici's global one when absent. */
  dispatcherFor?: ((url: URL) => Dispatcher) | undefined;
  /** Aborts fetching the credentials and the upgrade (the reason is thrown). */
  signal: AbortSignal;
  openTimeoutMs: number;
  closeGraceMs: number;
  /** Refuses a token before connecting (throw a WebsocketUnavailableError). */
  checkClaims?: (claims: SocketTokenClaims) => void;
  onText: (text: string, connection: SocketConnection) => void;
  onDropped: (why: string, connection: SocketConnection) => void;
}

export interface ServerSocket {
  connection: SocketConnection;
  /** The token to send with `auth` (already masked). */
  token: string;
  /** The socket address the panel gave, as given. */
  socket: string;
  claims: SocketTokenClaims;
  origin: SocketOrigin;
  url: URL;
}

/**
 * Fetches fresh credentials and opens the server's socket on the daemon with the `Origin` it
 * expects (wings.md §1.1–1.2). Not yet authenticated: the caller sends `auth`. Every failure is a
 * `WebsocketUnavailableError` (or the signal's reason) that says why, never with the token.
 */
export async function openServerSocket(options: ServerSocketOptions): Promise<ServerSocket> {
  const credentials = await fetchCredentials(options.credentials, options.signal);
  const url = checkSocketUrl(credentials.socket, options.allowInsecureHttp);
  const claims = decodeTokenClaims(credentials.token);
  options.checkClaims?.(claims);
  let dispatcher: Dispatcher | undefined;
  try {
    dispatcher = options.dispatcherFor?.(httpForm(url));
  } catch (error) {
    // A proxy setting the transport cannot use (HTTPS_PROXY with socks5://, say).
    throw new WebsocketUnavailableError('failed', (error as Error).message, { cause: error });
  }
  const origins = socketOrigins(claims, options.panelUrl);
  for (const [index, origin] of origins.entries()) {
    try {
      const connection = await SocketConnection.open({
        url,
        origin: origin.origin,
        originSource: origin.source === 'token-iss' ? "the token's iss claim" : 'panel-url',
        ...(dispatcher ? { dispatcher } : {}),
        signal: options.signal,
        openTimeoutMs: options.openTimeoutMs,
        closeGraceMs: options.closeGraceMs,
        onText: options.onText,
        onDropped: options.onDropped,
      });
      return { connection, token: credentials.token, socket: credentials.socket, claims, origin, url };
    } catch (error) {
      // The daemon's Origin check failed (403): the panel URL as given may be what it expects.
      const originRefused = error instanceof WebsocketUnavailableError && error.reason === 'rejected';
      if (!originRefused) throw error;
      if (index === origins.length - 1) {
        if (index === 0) throw error;
        throw new WebsocketUnavailableError('rejected', `${error.message} The Origin '${origins[0]!.origin}' (the token's iss claim) was refused before it.`, { cause: error });
      }
    }
  }
  throw new Error('unreachable: no Origin to try');
}

/** Fresh credentials, the token masked at once; a refusal becomes a WebsocketUnavailableError. */
export async function fetchCredentials(
  fetch: () => Promise<{ token: string; socket: string }>,
  signal: AbortSignal,
): Promise<{ token: string; socket: string }> {
  let credentials: { token: string; socket: string };
  try {
    credentials = await untilAborted(fetch(), signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw credentialsFailure(error);
  }
  secrets.add(credentials.token);
  return credentials;
}

/** The socket address, `ws://` only when allowed (the token would travel in clear text). */
function checkSocketUrl(socket: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(socket);
  } catch {
    throw new WebsocketUnavailableError('failed', 'the panel gave a websocket address that is not a URL.');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol === 'ws:' && !allowInsecureHttp) {
    throw new WebsocketUnavailableError(
      'insecure',
      `the daemon's websocket is unencrypted (ws://${url.host}), so its token would travel in clear text; set allow-insecure-http: true to use it.`,
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WebsocketUnavailableError('failed', `the panel gave a websocket address with the scheme ${url.protocol}, not wss: or ws:.`);
  }
  return url;
}

/** `wss://node:8080/...` as `https://node:8080/...`, the form the proxy decision takes. */
function httpForm(url: URL): URL {
  const form = new URL(url.href);
  form.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
  return form;
}

function credentialsFailure(error: unknown): WebsocketUnavailableError {
  if (error instanceof WebsocketUnavailableError) return error;
  const message = secrets.redact(messageOf(error));
  if (error instanceof PanelError && error.status === 403) {
    return new WebsocketUnavailableError('no-permission', `${message} (the key's user needs the websocket.connect permission).`, { cause: error });
  }
  if (error instanceof PanelError && error.status === 409) {
    return new WebsocketUnavailableError(
      'state-conflict',
      `${message} (the panel gives no websocket while the server is suspended, restoring a backup, being transferred or not installed).`,
      { cause: error },
    );
  }
  return new WebsocketUnavailableError('failed', `could not get the websocket credentials: ${message}`, { cause: error });
}

/** Settles with the promise, or rejects with the signal's reason once it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
