import { ActionError } from '../errors.js';
import { isUnclearFailure } from '../panel/unclear-failure.js';
import { formatElapsed } from '../format.js';
import type { OperationContext } from '../operations/context.js';

/** How long a stop may take before the server is killed (interface: restart-server). */
export const STOP_BEFORE_KILL_MS = 60_000;
/** How long to wait for a kill to show; the panel caches /resources for about 20 s (panel-api.md §11). */
const KILL_SETTLE_MS = 45_000;
/** /resources is cached for about 20 s, so reading it more often than this only costs requests. */
const STATE_POLL_MS = 3_000;

export type PowerState = 'running' | 'offline' | 'starting' | 'stopping' | string;

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
 * Stops the server and waits until the panel shows it offline, killing it when it has not
 * stopped within 60 s. Only a reading of `offline` after the stop counts: the panel caches the
 * state (§11), so a stale `running` just means waiting longer. Throws when the server will not
 * stop within `deadline` — before anything has been restored.
 */
export async function stopServer(ctx: OperationContext, deadline: number): Promise<void> {
  const started = ctx.now();
  ctx.log.info('Stopping the server before the restore.');
  await sendSignalOnce(ctx, 'stop');
  let killedAt: number | undefined;
  for (;;) {
    const state = (await ctx.client.getResources(ctx.serverId)).currentState;
    if (state === 'offline') {
      ctx.log.info(`The server is offline after ${formatElapsed(ctx.now() - started)}.`);
      return;
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
      throw new ActionError(`the server did not stop within wait-timeout (still ${state}); nothing was restored. Raise wait-timeout or stop the server by hand, then run again.`);
    }
    await ctx.sleep(STATE_POLL_MS);
  }
}

/** Starts the server again after a restore. */
export async function startServer(ctx: OperationContext): Promise<void> {
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
