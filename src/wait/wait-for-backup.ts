import { ActionError } from '../errors.js';
import { formatElapsed } from '../format.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import type { OperationContext } from '../operations/context.js';
import { pollUntilFinished } from './poll.js';

/**
 * Waits until the backup has finished and returns it as the REST API shows it; a failed backup
 * fails the step. Every fresh read updates the outputs, so a timeout or cancellation still
 * reports the backup.
 */
export async function waitForBackup(ctx: OperationContext, backup: Backup, deadline: number): Promise<Backup> {
  const started = ctx.now();
  const onUpdate = (fresh: Backup): void => {
    ctx.outputs.setBackup(fresh);
    ctx.report.backup = fresh;
  };
  ctx.log.info(
    `Waiting for backup ${backup.uuid} by polling every ${formatElapsed(ctx.settings.pollIntervalMs)} (wait-timeout ${formatElapsed(ctx.settings.waitTimeoutMs)}).`,
  );
  const finished = await pollUntilFinished({
    client: ctx.client,
    serverId: ctx.serverId,
    backup,
    deadline,
    timeoutMs: ctx.settings.waitTimeoutMs,
    intervalMs: ctx.settings.pollIntervalMs,
    signal: ctx.signal,
    now: ctx.now,
    log: ctx.log,
    onUpdate,
  });
  onUpdate(finished);
  if (backupState(finished) === 'failed') {
    throw new ActionError(
      `backup ${finished.uuid} ('${finished.name}') failed after ${formatElapsed(ctx.now() - started)}: the panel reports it finished unsuccessfully. ` +
        "Check the node's Wings log and its free disk space, and the ignored-files patterns; then run again.",
    );
  }
  ctx.log.info(`Backup ${finished.uuid} finished after ${formatElapsed(ctx.now() - started)}.`);
  return finished;
}
