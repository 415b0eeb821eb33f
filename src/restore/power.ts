import { ActionError } from '../errors.js';
import type { ServerInfo } from '../panel/types.js';
import { isUnclearFailure } from '../panel/unclear-failure.js';
import { formatElapsed } from '../format.js';
import type { OperationContext } from '../operations/context.js';
import { openOnSocket } from '../wait/websocket/socket-access.js';
import { LivePowerWatch } from './live-power-watch.js';
import { PanelPowerWatch } from './power-state.js';
import type { PowerState, PowerWatch } from './power-state.js';

export type { PowerState, PowerWatch } from './power-state.js';

/** How long a stop may take before the server is killed (interface: restart-server). */
export const STOP_BEFORE_KILL_MS = 60_000;
/** How long a server may still show `running` after a stop whose answer was lost before it is sent again. */
export const STOP_RESEND_MS = 10_000;
/** How long to wait for a kill to show; the panel caches /resources for about 20 s (panel-api.md §11). */
const KILL_SETTLE_MS = 45_000;
/** /resources is cached for about 20 s, so reading it more often than this only costs requests. */
const STATE_POLL_MS = 3_000;

/** Whether the server was doing something worth restarting afterwards. */
export function wasRunning(state: PowerState): boolean {
  return state === 'running' || state === 'starting';
}

/**
 * Sends a power signal once. After an unclear failure (no answer, 5xx) the signal is not
 * re-sent: the caller reads the state and decides (interface: "a power signal is never re-sent
 * blindly").
 */
async function sendSignalOnce(ctx: OperationContext, signal: 'start' | 'stop' | 'kill'): Promise<'sent' | 'unclear'> {
  try {
    await ctx.client.sendPowerSignal(ctx.serverId, signal);
    return 'sent';
  } catch (error) {
    if (!isUnclearFailure(error)) throw error;
    ctx.log.warning(`The ${signal} signal got no clear answer (${(error as Error).message}); reading the server's state instead of sending it again.`);
    return 'unclear';
  }
}

/**
 * Where the power state comes from during a restore: the daemon's websocket, live, when the key
 * may connect (and wait-strategy is not `poll`); otherwise the panel's cached `/resources`.
 */
export async function openPowerWatch(ctx: OperationContext, server: ServerInfo): Promise<PowerWatch> {
  let reason = 'wait-strategy is poll';
  if (ctx.settings.waitStrategy !== 'poll') {
    const socket = await openOnSocket(server, () => LivePowerWatch.open(ctx));
    if ('opened' in socket) return socket.opened;
    if (ctx.signal.aborted) throw ctx.signal.reason;
    reason = socket.reason;
  }
  ctx.log.info(`Reading the server's power state from the panel, which may show it up to 20 s late, not from the daemon's websocket: ${reason}.`);
  return new PanelPowerWatch(ctx);
}

/**
 * The power state before the restore. An `offline` the panel may have cached from before the
 * step began is read again once that cache has expired (panel-api.md §11): a server started
 * moments ago must still be stopped first, and started again after. A dry run takes the first
 * reading as it is.
 */
export async function stateBeforeRestore(ctx: OperationContext, watch: PowerWatch, deadline: number, settle: boolean): Promise<PowerState> {
  let { state, fresh } = await watch.read();
  if (state === 'offline' && !fresh && settle) {
    const wait = watch.untilFresh();
    if (ctx.now() + wait > deadline) {
      throw new ActionError(`wait-timeout ran out before the server's power state could be read reliably; nothing was restored. Raise wait-timeout, then run again.`);
    }
    ctx.log.info(`The panel shows the server offline, but that may be up to 20 s old; reading it again in ${formatElapsed(wait)} to be sure.`);
    await watch.pause(wait);
    ({ state } = await watch.read());
  }
  ctx.log.info(`The server is ${state} (from ${watch.describe}).`);
  return state;
}

/**
 * Stops the server and waits until it is offline, killing it when it has not stopped within
 * 60 s. Only a fresh `offline` counts: the panel caches the state (§11), so an old `offline`
 * or `running` just means reading again. Throws when the server will not stop within
 * `deadline` — before anything has been restored.
 */
export async function stopServer(ctx: OperationContext, deadline: number, watch: PowerWatch): Promise<void> {
  const began = ctx.now();
  let started = began;
  ctx.log.info('Stopping the server before the restore.');
  let stopUnclear = (await sendSignalOnce(ctx, 'stop')) === 'unclear';
  let killedAt: number | undefined;
  for (;;) {
    const { state, fresh } = await watch.read();
    if (state === 'offline' && fresh) {
      ctx.log.info(`The server is offline after ${formatElapsed(ctx.now() - began)}.`);
      return;
    }
    // A stop whose answer was lost may never have arrived: a server still simply running (not
    // stopping) a while later, in a reading surely taken since the stop, gets one more stop
    // before the kill clock starts.
    if (stopUnclear && state === 'running' && ctx.now() - started >= STOP_RESEND_MS + watch.lagMs) {
      ctx.log.info(`The server is still running ${formatElapsed(ctx.now() - started)} after the unanswered stop; sending stop once more.`);
      stopUnclear = false;
      started = ctx.now();
      await sendSignalOnce(ctx, 'stop');
    }
    const elapsed = ctx.now() - started;
    if (killedAt === undefined && elapsed >= STOP_BEFORE_KILL_MS) {
      ctx.log.warning(`The server has not stopped after ${formatElapsed(elapsed)} (state: ${state}); killing it.`);
      killedAt = ctx.now();
      await sendSignalOnce(ctx, 'kill');
    } else if (killedAt !== undefined && ctx.now() - killedAt >= KILL_SETTLE_MS) {
      throw new ActionError(
        `the server did not stop (still ${state} ${formatElapsed(ctx.now() - killedAt)} after a kill); nothing was restored. Check the server in the panel, then run again.`,
      );
    }
    if (ctx.now() + STATE_POLL_MS > deadline) {
      throw new ActionError(
        `the server did not stop within wait-timeout (still ${state}); nothing was restored. ${killedAt === undefined ? 'The stop was sent' : 'A stop and a kill were sent'}, so it may still stop on its own, and it is not started again. ` +
          'Raise wait-timeout or stop the server by hand, then run again.',
      );
    }
    await watch.pause(STATE_POLL_MS);
  }
}

/** Starts the server again after a restore. */
export async function startServer(ctx: OperationContext): Promise<void> {
  try {
    await sendStart(ctx);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new ActionError(`the server could not be started again: ${(error as Error).message}. Start it in the panel.`, { cause: error });
  }
}

async function sendStart(ctx: OperationContext): Promise<void> {
  const result = await sendSignalOnce(ctx, 'start');
  if (result === 'unclear') {
    const state = (await ctx.client.getResources(ctx.serverId)).currentState;
    if (state !== 'offline') {
      ctx.log.info(`The server is ${state}.`);
      return;
    }
    // The panel may show a cached state; one start sent after reading offline is not blind.
    await ctx.client.sendPowerSignal(ctx.serverId, 'start');
  }
  ctx.log.info('Sent start: the server is starting again.');
}
