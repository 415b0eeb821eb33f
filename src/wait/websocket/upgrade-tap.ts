import type { Dispatcher } from 'undici';
import type { Duplex } from 'node:stream';

/** What the HTTP exchange behind one WebSocket upgrade showed. */
export interface UpgradeTap {
  /** The answer's status (101 when upgraded). */
  status?: number;
  statusText?: string;
  /** The start of an error answer's body (at most 512 bytes). */
  body?: string;
  /** A transport error (ECONNREFUSED, a TLS failure...). */
  error?: Error;
  /** The upgraded socket, to destroy if a closing handshake never ends. */
  socket?: Duplex;
}

const BODY_LIMIT = 512;

/**
 * Wraps a dispatcher so that the upgrade's answer can be read. undici 6's WebSocket reports a
 * refused upgrade only as an `error` event "Received network error or non-101 status code." and
 * fires no `close`; the status (403 from the daemon's Origin check, 400 at its connection cap)
 * and the transport error are seen here. The composed dispatcher owns nothing: never close it
 * (that would close the one it wraps).
 */
export function tapUpgrade(dispatcher: Dispatcher, tap: UpgradeTap): Dispatcher {
  return dispatcher.compose((dispatch) => (options, handler) => {
    const tapped: Dispatcher.DispatchHandlers = {
      onConnect: (abort) => handler.onConnect?.(abort),
      onError: (error) => {
        tap.error = error;
        handler.onError?.(error);
      },
      onUpgrade: (status, headers, socket) => {
        tap.status = status;
        tap.socket = socket;
        handler.onUpgrade?.(status, headers, socket);
      },
      onResponseStarted: () => handler.onResponseStarted?.(),
      onHeaders: (status, headers, resume, statusText) => {
        tap.status = status;
        tap.statusText = statusText;
        return handler.onHeaders?.(status, headers, resume, statusText) ?? true;
      },
      onData: (chunk) => {
        const seen = tap.body ?? '';
        if (seen.length < BODY_LIMIT) tap.body = seen + chunk.toString('utf8', 0, Math.min(chunk.length, BODY_LIMIT - seen.length));
        return handler.onData?.(chunk) ?? true;
      },
      onComplete: (trailers) => handler.onComplete?.(trailers),
      onBodySent: (size, total) => handler.onBodySent?.(size, total),
    };
    // undici calls `onRequestSent` when the handler has it (not in its types).
    const original = handler as { onRequestSent?: () => void };
    if (original.onRequestSent) (tapped as { onRequestSent?: () => void }).onRequestSent = () => original.onRequestSent?.();
    return dispatch(options, tapped);
  });
}
