import { ActionError } from '../errors.js';
import { formatElapsed } from '../format.js';
import { backupState } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import type { OperationContext } from '../operations/context.js';
import { SAFETY_POLL_FACTOR, waitWithEvents } from './event-wait.js';
import { pollBackup } from './poll.js';
import { BackupEvents } from './websocket/backup-events.js';
import { openOnSocket, socketAccess } from './websocket/socket-access.js';

/** Waits until a backup has finished; made before the create so no completion is missed. */
export interface BackupWaiter {
  /** Returns the finished backup as the REST API shows it; a failed backup fails the step. */
  wait(backup: Backup, deadline: number): Promise<Backup>;
  close(): void;
}

/**
 * Chooses how to wait, before the backup is created: with `auto` and `websocket` the socket is
 * opened and authenticated first, so a backup that finishes within milliseconds is not missed
 * (wings.md §5.4). `auto` falls back to polling, saying why in one line; `websocket` fails.
 */
export async function prepareWaiter(ctx: OperationContext, server: ServerInfo): Promise<BackupWaiter> {
  const strategy = ctx.settings.waitStrategy;
  if (strategy === 'poll') return waiter(ctx, undefined);
  const socket = await openOnSocket(server, () => BackupEvents.open({ ...socketAccess(ctx), log: ctx.log, now: ctx.now }));
  if ('opened' in socket) return waiter(ctx, socket.opened);
  const { reason } = socket;
  if (strategy === 'websocket') {
    throw new ActionError(`wait-strategy is websocket, but the server's websocket cannot be used: ${reason}. Nothing was created. Use wait-strategy: auto or poll.`);
  }
  ctx.log.info(`Waiting by polling instead of the websocket: ${reason}.`);
  return waiter(ctx, undefined);
}

function waiter(ctx: OperationContext, events: BackupEvents | undefined): BackupWaiter {
  return {
    async wait(backup, deadline) {
      const started = ctx.now();
      const onUpdate = (fresh: Backup): void => {
        ctx.outputs.setBackup(fresh);
        ctx.report.backup = fresh;
      };
      const interval = formatElapsed(ctx.settings.pollIntervalMs);
      ctx.log.info(
        events
          ? `Waiting for backup ${backup.uuid} on the server's websocket, with a REST check every ${formatElapsed(ctx.settings.pollIntervalMs * SAFETY_POLL_FACTOR)} (wait-timeout ${formatElapsed(ctx.settings.waitTimeoutMs)}).`
          : `Waiting for backup ${backup.uuid} by polling every ${interval} (wait-timeout ${formatElapsed(ctx.settings.waitTimeoutMs)}).`,
      );
      const finished = events ? await waitWithEvents(ctx, events, backup, deadline, onUpdate) : await pollBackup(ctx, backup, deadline, onUpdate);
      onUpdate(finished);
      if (backupState(finished) === 'failed') {
        throw new ActionError(
          `backup ${finished.uuid} ('${finished.name}') failed after ${formatElapsed(ctx.now() - started)}: the panel reports it finished unsuccessfully. ` +
            "Check the node's Wings log and its free disk space, and the ignored-files patterns; then run again.",
        );
      }
      ctx.log.info(`Backup ${finished.uuid} finished after ${formatElapsed(ctx.now() - started)}.`);
      return finished;
    },
    close() {
      events?.close();
    },
  };
}
