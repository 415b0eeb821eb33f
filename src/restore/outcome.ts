import { PanelError } from '../panel/errors.js';
import { isPassingReadFailure } from '../wait/passing-error.js';
import type { OperationContext } from '../operations/context.js';
import type { ActivityEntry } from '../panel/types.js';

/** `restored`, `failed`, or `unknown` when the activity log cannot tell. */
export type RestoreOutcome = 'restored' | 'failed' | 'unknown';

// The panel logs a restore's request (BackupController::restore) and its end
// (BackupStatusController::restore) with these events. The failure event has been seen with a dot
// instead of the colon, so both spellings count.
const REQUESTED = 'server:backup.restore';
const COMPLETE = 'server:backup.restore-complete';
const FAILED = ['server:backup.restore-failed', 'server.backup.restore-failed'];

/** How long the activity entry may lag behind the cleared status before the outcome is unknown. */
export const OUTCOME_GRACE_MS = 5_000;
const OUTCOME_READ_EVERY_MS = 1_000;

/**
 * The outcome of a restore that has just finished. The panel clears the server's status and then
 * writes the activity entry, in two steps (BackupStatusController::restore), so an entry not yet
 * there is looked for again, every second for `OUTCOME_GRACE_MS`, before the outcome is unknown.
 */
export async function awaitRestoreOutcome(ctx: OperationContext, notBefore: number): Promise<RestoreOutcome> {
  const until = ctx.now() + OUTCOME_GRACE_MS;
  for (;;) {
    let unreadable: Error | undefined;
    try {
      const entries = await readRestoreEntries(ctx);
      if (entries === undefined) return 'unknown';
      const outcome = outcomeFrom(entries, notBefore);
      if (outcome !== 'unknown') return outcome;
    } catch (error) {
      // The restore has finished: a log that cannot be read now (5xx, network) makes the outcome
      // unknown, which still starts the server again, rather than failing the step as if it had not.
      if (!isPassingReadFailure(error)) throw error;
      unreadable = error as Error;
    }
    if (ctx.now() >= until) {
      if (unreadable) ctx.log.warning(`The panel's activity log could not be read to confirm the restore's outcome: ${unreadable.message}`);
      return 'unknown';
    }
    await ctx.sleep(Math.min(OUTCOME_READ_EVERY_MS, until - ctx.now()));
  }
}

/**
 * Whether the activity log shows a restore requested or finished since `notBefore` (the panel
 * logs `server:backup.restore` in the same transaction that starts it); undefined when the key
 * may not read the log.
 */
export async function restoreLoggedSince(ctx: OperationContext, notBefore: number): Promise<boolean | undefined> {
  const entries = await readRestoreEntries(ctx);
  if (entries === undefined) return undefined;
  return entriesSince(entries, notBefore).some((entry) => entry.event === REQUESTED || entry.event === COMPLETE || FAILED.includes(entry.event));
}

/** The log's restore entries, newest first; undefined when the key may not read them. */
async function readRestoreEntries(ctx: OperationContext): Promise<ActivityEntry[] | undefined> {
  try {
    return await ctx.client.listActivity(ctx.serverId, 'backup.restore');
  } catch (error) {
    if (error instanceof PanelError && (error.status === 403 || error.status === 404)) return undefined;
    throw error;
  }
}

/**
 * Tells a successful restore from a failed one: the panel clears the server's status either way
 * and the daemon's socket event says nothing about success (wings.md §6), so only the activity
 * log knows.
 */
function outcomeFrom(entries: ActivityEntry[], notBefore: number): RestoreOutcome {
  // An outcome older than this run's own request entry belongs to an earlier restore that ended
  // inside the window's margin. (Same-second entries count: the log's order within a second is not
  // the order they were written in.)
  const request = entriesSince(entries, notBefore).find((entry) => entry.event === REQUESTED);
  const since = request ? Math.max(notBefore, Date.parse(request.timestamp)) : notBefore;
  for (const entry of entriesSince(entries, since)) {
    if (entry.event === COMPLETE) return 'restored';
    if (FAILED.includes(entry.event)) return 'failed';
  }
  return 'unknown';
}

/** Entries at or after `notBefore` (panel clock); older ones belong to earlier restores. */
function entriesSince(entries: ActivityEntry[], notBefore: number): ActivityEntry[] {
  return entries.filter((entry) => {
    const at = Date.parse(entry.timestamp);
    return !Number.isNaN(at) && at >= notBefore;
  });
}
