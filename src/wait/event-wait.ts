import { ActionError } from '../errors.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import { formatElapsed } from '../format.js';
import type { OperationContext } from '../operations/context.js';
import type { BackupEvents } from './websocket/backup-events.js';
import type { BackupCompletedEvent } from './websocket/types.js';
import { WaitTimeoutError } from './errors.js';
import { pollBackup } from './poll.js';
import { isPassingReadFailure } from './passing-error.js';

/** The REST safety poll runs at this multiple of poll-interval while the socket is up (interface: 6 ×). */
export const SAFETY_POLL_FACTOR = 6;
/** How long REST may lag behind a completion event before the event is believed over REST. */
export const CONFIRM_GRACE_MS = 10_000;
const CONFIRM_EVERY_MS = 1_000;

/**
 * Waits on the server's websocket: a `backup completed` event for this backup ends the wait at
 * once, but the REST API stays the source of truth (the socket can drop events, wings.md §2.3).
 * A slow safety poll runs the whole time; every hint that events were missed (token expiry,
 * reconnect, throttling) triggers an immediate REST read; if the socket is lost, plain polling
 * takes over. The final state always comes from one REST read of the backup.
 */
export async function waitWithEvents(
  ctx: OperationContext,
  events: BackupEvents,
  backup: Backup,
  deadline: number,
  onUpdate: (backup: Backup) => void,
): Promise<Backup> {
  const safetyEvery = ctx.settings.pollIntervalMs * SAFETY_POLL_FACTOR;
  let current = backup;
  let nextSafetyPoll = ctx.now() + safetyEvery;
  let lastProblem: string | undefined;

  const reader: BackupReader = {
    async read() {
      try {
        current = await ctx.client.getBackup(ctx.serverId, backup.uuid);
        lastProblem = undefined;
        onUpdate(current);
      } catch (error) {
        if (!isPassingReadFailure(error)) throw error;
        lastProblem = (error as Error).message;
        ctx.log.warning(`Could not read backup ${backup.uuid} (${lastProblem}); still waiting.`);
      }
      return current;
    },
    lastProblem: () => lastProblem,
  };
  const read = reader.read;

  for (;;) {
    const seen = events.completed(backup.uuid);
    if (seen) return confirmEvent(ctx, seen, reader, deadline, onUpdate);
    const remaining = deadline - ctx.now();
    if (remaining <= 0) {
      if (backupState(await read()) !== 'pending') return current;
      throw new WaitTimeoutError(current, ctx.settings.waitTimeoutMs, lastProblem);
    }
    const signal = await events.next(Math.max(0, Math.min(nextSafetyPoll - ctx.now(), remaining)));
    if (signal.type === 'completed') continue; // checked at the top, whatever backup it was for
    if (signal.type === 'lost') {
      ctx.log.info(`The websocket is gone (${signal.why}); waiting by polling every ${formatElapsed(ctx.settings.pollIntervalMs)}.`);
      if (backupState(await read()) !== 'pending') return current;
      return pollBackup(ctx, current, deadline, onUpdate);
    }
    if (signal.type === 'gap') ctx.log.debug(`Events may have been missed (${signal.why}); reading the backup over REST.`);
    if (signal.type === 'gap' || ctx.now() >= nextSafetyPoll) {
      nextSafetyPoll = ctx.now() + safetyEvery;
      if (backupState(await read()) !== 'pending') return current;
    }
  }
}

/** Reads the backup over REST; a read that fails for a passing reason keeps the last known state. */
interface BackupReader {
  read(): Promise<Backup>;
  /** Why the last read failed; undefined when it worked. */
  lastProblem(): string | undefined;
}

/**
 * The socket says the backup finished: believe it once REST agrees. REST may lag a moment; a
 * failure event that REST never confirms means the daemon could not tell the panel (wings.md
 * §2.3), and fails the step rather than waiting up to 6 hours for the panel's reaper.
 */
async function confirmEvent(
  ctx: OperationContext,
  event: BackupCompletedEvent,
  reader: BackupReader,
  deadline: number,
  onUpdate: (backup: Backup) => void,
): Promise<Backup> {
  const { read } = reader;
  ctx.log.info(`The daemon reports backup ${event.uuid} ${event.isSuccessful ? 'succeeded' : 'failed'}; confirming with the panel.`);
  const graceEnds = Math.min(deadline, ctx.now() + CONFIRM_GRACE_MS);
  for (;;) {
    const backup = await read();
    if (backupState(backup) !== 'pending') return backup;
    if (ctx.now() >= graceEnds) break;
    await ctx.sleep(Math.min(CONFIRM_EVERY_MS, graceEnds - ctx.now()));
  }
  if (!event.isSuccessful) throw unconfirmedFailure(event.uuid, reader.lastProblem());
  // A success the panel has not recorded yet: keep polling REST, the source of truth.
  ctx.log.warning(`The daemon reports backup ${event.uuid} succeeded, but the panel does not show it yet; polling the panel.`);
  return pollBackup(ctx, await read(), deadline, onUpdate);
}

/** A failure event REST did not confirm: the panel still shows the backup running, or could not be read. */
function unconfirmedFailure(uuid: string, lastProblem: string | undefined): ActionError {
  if (lastProblem !== undefined) {
    return new ActionError(
      `the daemon reported that backup ${uuid} failed, but the panel could not be read to confirm it: ${lastProblem.replace(/\.$/, '')}. ` +
        "Look the backup up with operation: get and this backup-id, check the node's Wings log, then run again.",
    );
  }
  return new ActionError(
    `the daemon reported that backup ${uuid} failed, but the panel still shows it running after ${formatElapsed(CONFIRM_GRACE_MS)}: ` +
      "the daemon may not have been able to tell the panel, which will mark it failed within about 6 hours. Check the node's Wings log, then run again.",
  );
}
