import type { Dispatcher } from 'undici';
import type { Log } from '../../operations/context.js';
import { secrets } from '../../secrets.js';
import { sleep } from '../../time.js';
import type { SocketConnection } from './connection.js';
import { WebsocketUnavailableError } from './errors.js';
import { errorText, firstArg, isBackupCompleted, isExpiryJwtError, parseBackupCompleted, parseFrame, serialiseFrame } from './frames.js';
import { mayReceiveBackupEvents } from './jwt-claims.js';
import { fetchCredentials, messageOf, openServerSocket } from './server-socket.js';
import type { BackupCompletedEvent, BackupSignal } from './types.js';

export type { BackupCompletedEvent, BackupSignal } from './types.js';
export { WebsocketUnavailableError } from './errors.js';
export type { WebsocketUnavailableReason } from './errors.js';

/** Delays and timeouts; tests pass tiny ones. */
export interface BackupEventsTiming {
  /** Longest wait for the upgrade. */
  openTimeoutMs: number;
  /** Longest wait for `auth success` after sending `auth`. */
  authTimeoutMs: number;
  /** First delay before a reconnect; doubled after each failure up to `maxReconnectDelayMs`. */
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
  /** Silence after `throttled`: the daemon lets `auth` through twice, then once per 5 s (Wings: router/websocket/limiter.go). */
  throttleBackoffMs: number;
  /** Longest wait for the closing handshake before the socket is destroyed. */
  closeGraceMs: number;
  /**
   * After an expiry `jwt error` while a renewal `auth` is unanswered, how long an `auth success`
   * may still come: the error may be an event dropped just before the renewed token landed.
   */
  staleErrorGraceMs: number;
}

export const DEFAULT_TIMING: BackupEventsTiming = {
  openTimeoutMs: 15_000,
  authTimeoutMs: 15_000,
  reconnectDelayMs: 1_000,
  maxReconnectDelayMs: 30_000,
  throttleBackoffMs: 5_000,
  closeGraceMs: 2_000,
  staleErrorGraceMs: 1_000,
};

export interface BackupEventsOptions {
  /** Fetches fresh credentials (GET /api/client/servers/{id}/websocket through PanelClient); may throw PanelError (403 no websocket.connect, 409 state). */
  credentials: () => Promise<{ token: string; socket: string }>;
  /** For the Origin fallback: the panel URL as given, path prefix kept, no trailing slash. */
  panelUrl: URL;
  /** `ws://` needs it. */
  allowInsecureHttp: boolean;
  /** Proxy-aware dispatcher for an http(s) URL (`HttpTransport.dispatcherFor`); undici's global one when absent. */
  dispatcherFor?: (url: URL) => Dispatcher;
  signal: AbortSignal;
  log: Log;
  now?: () => number;
  /** Consecutive failed reconnects before giving up (then `lost`); default 5. */
  maxReconnects?: number;
  /** Connections lost (each one reconnected) before the socket is given up for good; default 5. */
  maxDrops?: number;
  timing?: Partial<BackupEventsTiming>;
}

interface PendingAuth {
  conn: SocketConnection;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Gives up on the answer. */
  timer: NodeJS.Timeout | undefined;
  /** Sends again once a throttle has passed. */
  resend: NodeJS.Timeout | undefined;
  /** Takes an expiry `jwt error` as the answer unless `auth success` follows soon. */
  refusal?: NodeJS.Timeout | undefined;
}

interface Waiter {
  resolve: (signal: BackupSignal) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

const GAP_TEXT_LIMIT = 300;
/** Tokens tried for one renewal when the daemon turns the renewed `auth` down in a way a fresh token may cure. */
const RENEWAL_TRIES = 3;

/** The daemon answered a renewal `auth` with an expiry `jwt error` or a `daemon error`: worth another fresh token. */
class RenewalRefusedError extends WebsocketUnavailableError {
  constructor(message: string) {
    super('rejected', message);
    this.name = 'RenewalRefusedError';
  }
}

/**
 * Backup completions from the server's websocket (wings.md §1, §2, §5). A hint, never the source
 * of truth: the daemon drops events it cannot deliver within 10 ms, while the token is expired,
 * or while disconnected (Wings: system/sink_pool.go), so every `gap` asks the caller to read the
 * backup over REST.
 */
export class BackupEvents {
  private readonly options: BackupEventsOptions;
  private readonly timing: BackupEventsTiming;
  private readonly now: () => number;
  private readonly maxReconnects: number;
  private readonly maxDrops: number;
  /** Connections lost so far; a socket that keeps dropping costs a credentials request each time. */
  private drops = 0;
  /** Aborted by `close()` and by the caller's signal; ends every wait and connection attempt. */
  private readonly stop = new AbortController();
  private readonly seen = new Map<string, BackupCompletedEvent>();
  private readonly queue: BackupSignal[] = [];
  private readonly waiters: Waiter[] = [];
  private conn: SocketConnection | undefined;
  private socketUrl = '';
  private token = '';
  /** `conn` has had its first `auth success`. */
  private authenticated = false;
  private auth: PendingAuth | undefined;
  /** The connection whose token is being renewed (one renewal at a time). */
  private refreshing: SocketConnection | undefined;
  private reconnecting = false;
  /** Why events may have been dropped while the token was expired; told again once it is valid (set from the expiry until then). */
  private pendingGap: string | undefined;
  /** Nothing is sent before this (epoch ms), after `throttled`. */
  private blockedUntil = 0;
  private lostWhy: string | undefined;
  private closed = false;
  private readonly onAbort = (): void => this.shutdown();

  private constructor(options: BackupEventsOptions) {
    this.options = options;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.now = options.now ?? Date.now;
    this.maxReconnects = options.maxReconnects ?? 5;
    this.maxDrops = options.maxDrops ?? 5;
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Connects, sends `auth` and resolves after `auth success`, so a backup created afterwards
   * cannot finish unseen (wings.md §5.4). Throws `WebsocketUnavailableError`, or the signal's
   * reason when aborted.
   */
  static async open(options: BackupEventsOptions): Promise<BackupEvents> {
    if (options.signal.aborted) throw options.signal.reason;
    const events = new BackupEvents(options);
    try {
      await events.connect();
    } catch (error) {
      events.shutdown();
      throw error;
    }
    return events;
  }

  /** The completion of this backup if one has been seen since `open`. */
  completed(uuid: string): BackupCompletedEvent | undefined {
    return this.seen.get(uuid);
  }

  /**
   * The next signal relevant to waiting: a completion (any uuid), a `gap` (events may have been
   * missed: read the backup over REST), `lost` (the socket is gone for good, also after
   * `close()`), or `timeout` after `timeoutMs`. Rejects with the signal's reason once aborted.
   */
  next(timeoutMs: number): Promise<BackupSignal> {
    if (this.options.signal.aborted) return Promise.reject(this.options.signal.reason);
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.lostWhy !== undefined) return Promise.resolve({ type: 'lost', why: this.lostWhy });
    if (this.closed) return Promise.resolve({ type: 'lost', why: 'closed' });
    return new Promise<BackupSignal>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.removeWaiter(waiter);
          resolve({ type: 'timeout' });
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.push(waiter);
    });
  }

  /** Closes the socket and ends every timer; a pending `next` resolves with `lost`. */
  close(): void {
    this.shutdown();
  }

  // ---- connecting -------------------------------------------------------------------------

  /** One attempt: fresh credentials, the upgrade, `auth` until `auth success`. */
  private async connect(): Promise<void> {
    const opened = await openServerSocket({
      credentials: this.options.credentials,
      panelUrl: this.options.panelUrl,
      allowInsecureHttp: this.options.allowInsecureHttp,
      dispatcherFor: this.options.dispatcherFor,
      signal: this.stop.signal,
      openTimeoutMs: this.timing.openTimeoutMs,
      closeGraceMs: this.timing.closeGraceMs,
      checkClaims: (claims) => {
        if (!mayReceiveBackupEvents(claims)) {
          throw new WebsocketUnavailableError(
            'no-permission',
            "the websocket token lacks backup.read, without which the daemon sends no backup events; give the key's user that permission.",
          );
        }
      },
      onText: (text, from) => this.onText(text, from),
      onDropped: (why, from) => this.onDropped(why, from),
    });
    const conn = opened.connection;
    if (this.closed) {
      conn.close();
      throw this.stop.signal.reason;
    }
    this.conn = conn;
    this.authenticated = false;
    this.token = opened.token;
    this.socketUrl = opened.socket;
    try {
      await this.authenticate(conn);
    } catch (error) {
      if (this.conn === conn) this.conn = undefined;
      conn.close();
      throw error;
    }
    const { exp } = opened.claims;
    const expires = exp !== undefined ? `, token valid for ${Math.round(exp - this.now() / 1000)} s` : '';
    this.options.log.debug(`Listening on the daemon's websocket at ${opened.url.host} (Origin from ${opened.origin.source}${expires}).`);
  }

  /** Sends `auth` with the current token; resolves on `auth success` (Wings: router/websocket/websocket.go `HandleInbound`). */
  private authenticate(conn: SocketConnection): Promise<void> {
    if (this.auth) this.settleAuth(this.auth, new Error('superseded'));
    return new Promise<void>((resolve, reject) => {
      const pending: PendingAuth = { conn, resolve, reject, timer: undefined, resend: undefined };
      this.auth = pending;
      this.sendAuth(pending);
    });
  }

  private sendAuth(pending: PendingAuth): void {
    clearTimeout(pending.timer);
    clearTimeout(pending.resend);
    const wait = this.blockedUntil - this.now();
    if (wait > 0) {
      pending.resend = setTimeout(() => this.sendAuth(pending), wait);
      return;
    }
    pending.conn.send(serialiseFrame('auth', [this.token]));
    pending.timer = setTimeout(
      () => this.settleAuth(pending, new WebsocketUnavailableError('failed', `the daemon did not answer auth within ${Math.round(this.timing.authTimeoutMs / 1000)} s.`)),
      this.timing.authTimeoutMs,
    );
  }

  private settleAuth(pending: PendingAuth, error?: unknown): void {
    if (this.auth !== pending) return;
    this.auth = undefined;
    clearTimeout(pending.timer);
    clearTimeout(pending.resend);
    clearTimeout(pending.refusal);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  // ---- frames -----------------------------------------------------------------------------

  private onText(text: string, conn: SocketConnection): void {
    if (conn !== this.conn || this.closed) return;
    const frame = parseFrame(text);
    if (!frame) return;
    switch (frame.event) {
      case 'auth success':
        if (this.auth?.conn === conn) {
          this.authenticated = true;
          this.settleAuth(this.auth);
        }
        return;
      case 'jwt error':
        this.onJwtError(conn, firstArg(frame));
        return;
      case 'daemon error':
        // A token that does not parse or verify is answered with this, not `jwt error` (Wings: router/websocket/websocket.go `SendErrorJson`).
        if (this.auth?.conn !== conn) return;
        if (!this.authenticated) {
          this.settleAuth(this.auth, new WebsocketUnavailableError('rejected', `the daemon refused the websocket token: ${errorText(firstArg(frame))}`));
        } else {
          // A renewal turned down: fail it now rather than after the auth timeout; `refresh` fetches another token.
          this.settleAuth(this.auth, new RenewalRefusedError(`the daemon refused the renewed websocket token: ${errorText(firstArg(frame))}`));
        }
        return;
      case 'token expiring':
        // Sent once ≤ 60 s remain (Wings: router/websocket/listeners.go `listenForExpiration`).
        if (this.authenticated) void this.refresh(conn);
        return;
      case 'token expired':
        if (this.authenticated) this.onExpired(conn, 'the websocket token expired; events meanwhile were dropped');
        return;
      case 'throttled':
        this.onThrottled(conn, firstArg(frame));
        return;
      default:
        if (isBackupCompleted(frame.event)) {
          const event = parseBackupCompleted(frame, this.now());
          if (event) this.record(event);
        }
    }
  }

  private onJwtError(conn: SocketConnection, message: string): void {
    const text = errorText(message);
    const pending = this.auth?.conn === conn ? this.auth : undefined;
    if (!this.authenticated) {
      if (pending) this.settleAuth(pending, new WebsocketUnavailableError('rejected', `the daemon rejected the websocket token: ${text}`));
      return;
    }
    // Once the token has expired every event is replaced by this error (Wings: router/websocket/websocket.go `SendJson`).
    if (isExpiryJwtError(message)) {
      // Also the answer to a renewal `auth` whose token the daemon finds expired, or an event
      // dropped just before that `auth` landed: unless `auth success` follows at once, try
      // another fresh token rather than wait out the auth timeout.
      if (pending && pending.refusal === undefined) {
        pending.refusal = setTimeout(
          () => this.settleAuth(pending, new RenewalRefusedError(`the daemon answered the renewed websocket token with: ${text}`)),
          this.timing.staleErrorGraceMs,
        );
      }
      this.onExpired(conn, `the websocket token expired (${text}); events meanwhile were dropped`);
      return;
    }
    if (pending) {
      this.settleAuth(pending, new WebsocketUnavailableError('rejected', `the daemon rejected the renewed websocket token: ${text}`));
      return;
    }
    this.push({ type: 'gap', why: `the daemon sent a jwt error (${text})` });
  }

  private onThrottled(conn: SocketConnection, what: string): void {
    this.blockedUntil = this.now() + this.timing.throttleBackoffMs;
    this.options.log.debug(`The daemon throttled this socket (${what || 'global'}); sending nothing for ${this.timing.throttleBackoffMs} ms.`);
    const pending = this.auth?.conn === conn ? this.auth : undefined;
    // A throttled message is dropped, so an unanswered `auth` goes again after the pause.
    if (pending) this.sendAuth(pending);
    if (this.authenticated) this.push({ type: 'gap', why: `the daemon throttled this socket (${what || 'global'})` });
  }

  private record(event: BackupCompletedEvent): void {
    this.seen.set(event.uuid, event);
    this.options.log.debug(`Websocket: backup ${event.uuid} completed (${event.isSuccessful ? 'successful' : 'failed'}).`);
    this.push({ type: 'completed', event });
  }

  // ---- keeping the token fresh and the socket open ----------------------------------------

  /**
   * The token has run out: events are being dropped until it is renewed (wings.md §1.4), so the
   * caller reads REST at once (not only after the renewal, which may stall) and again once renewed.
   */
  private onExpired(conn: SocketConnection, why: string): void {
    // While expired, every event comes back as this error: one gap per expiry, not one per event.
    if (this.pendingGap === undefined) this.push({ type: 'gap', why });
    void this.refresh(conn, why);
  }

  /** Fetches fresh credentials and re-sends `auth` on the same connection, as the panel's own client does. */
  private async refresh(conn: SocketConnection, gapWhy?: string): Promise<void> {
    if (gapWhy) this.pendingGap = gapWhy;
    if (this.refreshing === conn || conn !== this.conn) return;
    this.refreshing = conn;
    try {
      for (let attempt = 1; ; attempt++) {
        const refused = await this.renew(conn);
        if (!refused) break;
        if (attempt >= RENEWAL_TRIES) throw new Error(`${refused.message} (${RENEWAL_TRIES} fresh tokens tried)`);
        this.options.log.debug(`${refused.message}; fetching another token.`);
      }
      if (conn !== this.conn || this.closed) return;
      this.options.log.debug('Renewed the websocket token.');
      if (this.pendingGap) {
        this.push({ type: 'gap', why: this.pendingGap });
        this.pendingGap = undefined;
      }
    } catch (error) {
      if (!this.closed) this.connectionLost(conn, `the websocket token could not be renewed: ${messageOf(error)}`);
    } finally {
      if (this.refreshing === conn) this.refreshing = undefined;
    }
  }

  /** One renewal: fresh credentials, then `auth` on `conn`; the refusal when another fresh token may do better. */
  private async renew(conn: SocketConnection): Promise<RenewalRefusedError | undefined> {
    const credentials = await fetchCredentials(this.options.credentials, this.stop.signal);
    if (conn !== this.conn || this.closed) return undefined;
    if (credentials.socket !== this.socketUrl) {
      this.connectionLost(conn, 'the panel now gives another socket address for the server');
      return undefined;
    }
    this.token = credentials.token;
    try {
      await this.authenticate(conn);
      return undefined;
    } catch (error) {
      if (error instanceof RenewalRefusedError) return error;
      throw error;
    }
  }

  private onDropped(why: string, conn: SocketConnection): void {
    if (conn !== this.conn || this.closed) return;
    // While an `auth` is unanswered, whoever sent it deals with the failure.
    if (this.auth?.conn === conn) {
      this.settleAuth(this.auth, new WebsocketUnavailableError('refused', `${why} before auth was answered.`));
      return;
    }
    this.connectionLost(conn, why);
  }

  private connectionLost(conn: SocketConnection, why: string): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.authenticated = false;
    if (this.auth?.conn === conn) this.settleAuth(this.auth, new WebsocketUnavailableError('refused', why));
    conn.close();
    if (this.closed || this.lostWhy !== undefined) return;
    this.drops++;
    if (this.drops > this.maxDrops) {
      // A flapping socket: every reconnect costs the panel's rate limit, and polling is cheaper.
      this.markLost(`the connection was lost ${this.drops} times, the last: ${why}`);
      return;
    }
    this.options.log.info(`The daemon's websocket connection was lost (${why}); reconnecting.`);
    void this.reconnect(why);
  }

  /** Bounded exponential backoff, fresh credentials each time; `gap` once back, `lost` after too many failures. */
  private async reconnect(why: string): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    let failures = 0;
    let problem = why;
    try {
      for (;;) {
        if (failures >= this.maxReconnects) {
          this.markLost(
            failures === 0 ? `the connection was lost (${why})` : `the connection was lost (${why}) and ${failures} reconnect(s) failed; the last: ${problem}`,
          );
          return;
        }
        await sleep(Math.min(this.timing.maxReconnectDelayMs, this.timing.reconnectDelayMs * 2 ** failures), this.stop.signal);
        try {
          await this.connect();
        } catch (error) {
          if (this.closed) return;
          failures++;
          problem = messageOf(error);
          this.options.log.debug(`Websocket reconnect ${failures} of ${this.maxReconnects} failed: ${problem}`);
          continue;
        }
        this.options.log.info("Reconnected to the daemon's websocket.");
        const gap = `reconnected after ${why}; events meanwhile were missed`;
        this.push({ type: 'gap', why: this.pendingGap ? `${this.pendingGap}; ${gap}` : gap });
        this.pendingGap = undefined;
        return;
      }
    } catch {
      // Stopped while waiting.
    } finally {
      this.reconnecting = false;
    }
  }

  private markLost(why: string): void {
    this.lostWhy = secrets.redact(why);
    this.options.log.debug(`Stopped listening on the daemon's websocket: ${this.lostWhy}`);
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve({ type: 'lost', why: this.lostWhy });
    }
  }

  // ---- signals to the caller ----------------------------------------------------------------

  private push(signal: BackupSignal): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(signal);
      return;
    }
    const last = this.queue.at(-1);
    if (signal.type === 'gap' && last?.type === 'gap') {
      // One REST read covers any number of gaps.
      const joined = `${last.why}; ${signal.why}`;
      last.why = joined.length <= GAP_TEXT_LIMIT ? joined : signal.why;
      return;
    }
    this.queue.push(signal);
  }

  private removeWaiter(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const aborted = this.options.signal.aborted;
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.stop.abort(aborted ? this.options.signal.reason : new Error('closed'));
    if (this.auth) this.settleAuth(this.auth, this.stop.signal.reason);
    this.conn?.close();
    this.conn = undefined;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      if (aborted) waiter.reject(this.options.signal.reason);
      else waiter.resolve({ type: 'lost', why: 'closed' });
    }
  }
}
