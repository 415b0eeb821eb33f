import type { OperationContext } from '../operations/context.js';
import { restoreLoggedSince } from './outcome.js';

/**
 * How long to look for signs of a restore whose request got no clear answer. The panel may still
 * be inside its transaction (status and activity entry not yet visible) while it waits for the
 * daemon, and writes the completion entry only after clearing the status.
 */
export const START_SETTLE_MS = 20_000;
const LOOK_EVERY_MS = 2_000;

/**
 * After an unclear answer to the restore request: `true` once the server shows `restoring_backup`
 * or the activity log shows a restore since `notBefore`; `false` when neither has shown within
 * `START_SETTLE_MS` and the log was readable; `undefined` when the log could not be read, because
 * then a quick restore that already finished would leave no trace and sending again could restore
 * twice.
 */
export async function didRestoreStart(ctx: OperationContext, notBefore: number): Promise<boolean | undefined> {
  const until = ctx.now() + START_SETTLE_MS;
  let logReadable = true;
  for (;;) {
    if ((await ctx.client.getServer(ctx.serverId)).server.status === 'restoring_backup') return true;
    const logged = logReadable ? await restoreLoggedSince(ctx, notBefore) : undefined;
    if (logged === true) return true;
    if (logged === undefined) logReadable = false;
    if (ctx.now() >= until) return logReadable ? false : undefined;
    await ctx.sleep(Math.min(LOOK_EVERY_MS, until - ctx.now()));
  }
}
