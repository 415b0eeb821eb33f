import { ActionError } from '../errors.js';
import { NetworkError } from '../http/network-error.js';
import { PanelError } from '../panel/errors.js';
import { formatElapsed } from '../format.js';
import type { OperationContext } from '../operations/context.js';

const PROGRESS_EVERY_MS = 30_000;

/**
 * Waits until the server's `status` is back to null. While a restore runs every backup, power
 * and resources route answers 409; only the server view is always allowed (panel-api.md §1.1),
 * so it is the one polled.
 */
export async function waitForRestore(ctx: OperationContext, deadline: number, stoppedHere: boolean): Promise<void> {
  const started = ctx.now();
  let lastProgress = started;
  for (;;) {
    const remaining = deadline - ctx.now();
    if (remaining <= 0) {
      throw new ActionError(
        'the restore is still running after wait-timeout; it goes on on the node' +
          (stoppedHere
            ? ', and the server this run stopped stays stopped. Watch it in the panel and start the server once it has finished, or raise wait-timeout.'
            : '. Watch it in the panel, or raise wait-timeout.'),
      );
    }
    await ctx.sleep(Math.min(ctx.settings.pollIntervalMs, remaining));
    let status: string | null;
    try {
      status = (await ctx.client.getServer(ctx.serverId)).server.status;
    } catch (error) {
      const passing = (error instanceof NetworkError && error.kind !== 'aborted') || (error instanceof PanelError && error.status >= 500);
      if (!passing) throw error;
      ctx.log.warning(`Could not read the server (${(error as Error).message}); still waiting for the restore.`);
      continue;
    }
    if (status === null) {
      ctx.log.info(`The restore finished after ${formatElapsed(ctx.now() - started)}.`);
      return;
    }
    if (status !== 'restoring_backup') {
      throw new ActionError(`the server went from restoring to '${status}' instead of finishing the restore. Check it in the panel.`);
    }
    if (ctx.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = ctx.now();
      ctx.log.info(`Restore still running after ${formatElapsed(ctx.now() - started)}.`);
    }
  }
}
