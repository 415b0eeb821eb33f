import { formatElapsed } from '../format.js';
import type { OperationContext } from '../operations/context.js';
import { WebsocketUnavailableError } from '../wait/websocket/errors.js';
import { errorText, firstArg, parseFrame, serialiseFrame } from '../wait/websocket/frames.js';
import type { SocketConnection } from '../wait/websocket/connection.js';
import { openServerSocket } from '../wait/websocket/server-socket.js';
import { socketAccess } from '../wait/websocket/socket-access.js';
import { PanelPowerWatch } from './power-state.js';
import type { PowerState, PowerWatch } from './power-state.js';

/** Longest wait for the upgrade, and then for `auth success` and the first `status`. */
const OPEN_TIMEOUT_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

/**
 * The server's power state as the daemon sees it, live: after the first `auth success` Wings
 * sends `status` with the current state, then a `status` on every change (wings.md §1.4–1.5),
 * with none of the panel's 20 s cache. If the socket drops or the token runs out, the watch
 * carries on with the panel's `/resources` (minding its cache) rather than trusting old news.
 */
export class LivePowerWatch implements PowerWatch {
  private connection: SocketConnection | undefined;
  private state: PowerState | undefined;
  private fallback: PanelPowerWatch | undefined;
  private wake: (() => void) | undefined;
  /** Counts state changes, so that `pause` returns at once for a change since the last `read`. */
  private changes = 0;
  private changesRead = 0;
  private closed = false;
  private readonly ctx: OperationContext;

  private constructor(ctx: OperationContext) {
    this.ctx = ctx;
  }

  get lagMs(): number {
    return this.fallback ? this.fallback.lagMs : 0;
  }

  get describe(): string {
    return this.fallback ? this.fallback.describe : "the daemon's websocket, live";
  }

  /**
   * Connects and authenticates; resolves with the first `status`. Throws `WebsocketUnavailableError`,
   * or the signal's reason once the step is cancelled.
   */
  static async open(ctx: OperationContext, timeoutMs = OPEN_TIMEOUT_MS): Promise<LivePowerWatch> {
    const watch = new LivePowerWatch(ctx);
    let settle: ((error?: Error) => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    const opened = await openServerSocket({
      ...socketAccess(ctx),
      openTimeoutMs: timeoutMs,
      closeGraceMs: CLOSE_GRACE_MS,
      onText: (text) => watch.onText(text, settle),
      onDropped: (why) => {
        settle?.(new WebsocketUnavailableError('refused', `${why} before the daemon sent the server's state.`));
        watch.lose(why);
      },
    });
    watch.connection = opened.connection;
    const timer = setTimeout(
      () => settle?.(new WebsocketUnavailableError('failed', `the daemon did not send the server's state within ${formatElapsed(timeoutMs)}.`)),
      timeoutMs,
    );
    const onAbort = (): void => settle?.(ctx.signal.reason as Error);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal.aborted) onAbort();
    opened.connection.send(serialiseFrame('auth', [opened.token]));
    try {
      await ready;
    } catch (error) {
      watch.close();
      throw error;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      settle = undefined;
    }
    return watch;
  }

  async read(): Promise<{ state: PowerState; fresh: boolean }> {
    if (this.fallback || this.state === undefined) return (this.fallback ?? this.startFallback('no state')).read();
    this.changesRead = this.changes;
    return { state: this.state, fresh: true };
  }

  untilFresh(): number {
    return this.fallback ? this.fallback.untilFresh() : 0;
  }

  async pause(ms: number): Promise<void> {
    if (this.fallback) return this.fallback.pause(ms);
    const { signal } = this.ctx;
    if (signal.aborted) throw signal.reason;
    if (this.changes !== this.changesRead) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.wake = resolve;
        timer = setTimeout(resolve, ms);
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      this.wake = undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
    this.wake?.();
  }

  private onText(text: string, settle: ((error?: Error) => void) | undefined): void {
    const frame = parseFrame(text);
    if (!frame) return;
    if (frame.event === 'status') {
      const state = firstArg(frame);
      if (state === '') return;
      if (this.state !== state) {
        this.ctx.log.debug(`Websocket: the server is ${state}.`);
        this.changes++;
      }
      this.state = state;
      settle?.();
      this.wake?.();
      return;
    }
    if (frame.event === 'daemon error' && this.state === undefined) {
      // A token that does not parse or verify (Wings: router/websocket/websocket.go `SendErrorJson`).
      settle?.(new WebsocketUnavailableError('rejected', `the daemon refused the websocket token (${errorText(firstArg(frame))}).`));
      return;
    }
    if (frame.event === 'jwt error' || frame.event === 'token expired') {
      const why = `the daemon sent ${frame.event}${frame.event === 'jwt error' ? ` (${errorText(firstArg(frame))})` : ''}`;
      settle?.(new WebsocketUnavailableError('rejected', `${why} instead of the server's state.`));
      this.lose(why);
      return;
    }
    if (frame.event === 'throttled') {
      settle?.(new WebsocketUnavailableError('refused', 'the daemon throttled the socket before it sent the server\'s state.'));
    }
  }

  /** After the first state, a lost socket hands over to the panel's cached state. */
  private lose(why: string): void {
    if (this.closed || this.state === undefined || this.fallback) return;
    this.startFallback(why);
  }

  private startFallback(why: string): PanelPowerWatch {
    this.ctx.log.info(`The daemon's websocket is gone (${why}); reading the server's state from the panel instead.`);
    this.connection?.close();
    this.connection = undefined;
    this.fallback = new PanelPowerWatch(this.ctx);
    this.wake?.();
    return this.fallback;
  }
}
