import { ActionError } from '../errors.js';
import { formatElapsed } from '../format.js';
import { PanelError } from '../panel/errors.js';
import { backupState, hasPermission } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import type { OperationContext } from '../operations/context.js';
import { SAFETY_POLL_FACTOR, waitWithEvents } from './event-wait.js';
import { pollBackup } from './poll.js';
import { BackupEvents, WebsocketUnavailableError } from './websocket/backup-events.js';

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
  let reason: string;
  if (hasPermission(server.permissions, 'websocket.connect') === false) {
    reason = "the key's user lacks the websocket.connect permission";
  } else {
    try {
      const events = await BackupEvents.open({
        credentials: () => ctx.client.getWebsocketCredentials(ctx.serverId),
        panelUrl: ctx.settings.panelUrl,
        allowInsecureHttp: ctx.settings.allowInsecureHttp,
        dispatcherFor: (url) => ctx.transport.dispatcherFor(url),
        signal: ctx.signal,
        log: ctx.log,
        now: ctx.now,
      });
      return waiter(ctx, events);
    } catch (error) {
      if (!(error instanceof WebsocketUnavailableError || error instanceof PanelError)) throw error;
      reason = error.message;
    }
  }
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
