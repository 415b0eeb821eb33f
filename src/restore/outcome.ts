import { PanelError } from '../panel/errors.js';
import type { OperationContext } from '../operations/context.js';

/** `restored`, `failed`, or `unknown` when the activity log cannot tell. */
export type RestoreOutcome = 'restored' | 'failed' | 'unknown';

// The panel logs the end of a restore with these events (BackupStatusController::restore). The
// failure event has been seen with a dot instead of the colon, so both spellings count.
const COMPLETE = 'server:backup.restore-complete';
const FAILED = ['server:backup.restore-failed', 'server.backup.restore-failed'];

/**
 * Tells a successful restore from a failed one: the panel clears the server's status either way
 * and the daemon's socket event says nothing about success (wings.md §6), so only the activity
 * log knows. Entries older than `notBefore` (panel clock) belong to earlier restores.
 */
export async function readRestoreOutcome(ctx: OperationContext, notBefore: number): Promise<RestoreOutcome> {
  let entries;
  try {
    entries = await ctx.client.listActivity(ctx.serverId, 'backup.restore');
  } catch (error) {
    if (error instanceof PanelError && (error.status === 403 || error.status === 404)) return 'unknown';
    throw error;
  }
  for (const entry of entries) {
    const at = Date.parse(entry.timestamp);
    if (Number.isNaN(at) || at < notBefore) continue;
    if (entry.event === COMPLETE) return 'restored';
    if (FAILED.includes(entry.event)) return 'failed';
  }
  return 'unknown';
}
