import { ActionError } from '../errors.js';
import { isUnclearFailure } from '../panel/unclear-failure.js';
import { estimatePanelNow } from '../panel/clock.js';
import { PanelError } from '../panel/errors.js';
import { backupState, hasPermission } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import { didRestoreStart, START_SETTLE_MS } from '../restore/confirm-start.js';
import { awaitRestoreOutcome } from '../restore/outcome.js';
import { formatElapsed } from '../format.js';
import { openPowerWatch, startServer, stateBeforeRestore, stopServer, wasRunning } from '../restore/power.js';
import type { PowerState } from '../restore/power.js';
import { waitForRestore } from '../restore/wait-for-restore.js';
import type { OperationContext } from './context.js';
import { readTargetBackup } from './target-backup.js';

/**
 * `restore`: the most dangerous operation, so every refusal comes before anything changes.
 * Order: check (backup successful, no backup running, server idle) → note the power state →
 * stop (kill after 60 s) → restore → wait for the panel to clear the server's status → read the
 * outcome from the activity log → start again if it was running. The daemon itself would delete
 * the files of a truncating restore before stopping the server, and never starts it again
 * (wings.md §6); the panel even accepts a failed backup (panel-api.md §5.3).
 */
export async function restoreOperation(ctx: OperationContext): Promise<void> {
  const { settings, log } = ctx;
  const deadline = ctx.now() + settings.waitTimeoutMs;
  const needs: Array<[string, string]> = [['backup.restore', 'restore backups']];
  if (settings.restartServer) {
    needs.push(['control.stop', 'stop the server before the restore (or set restart-server: false)']);
    needs.push(['control.start', 'start the server again after the restore (or set restart-server: false)']);
  }
  // The status first: while it is set, the panel answers 409 on every backup route.
  const { server, backup, panelDate, readAt } = await readTargetBackup(ctx, needs, refuseUnlessIdle);
  refuseUnlessRestorable(backup);
  const { backups } = await ctx.client.listBackups(ctx.serverId);
  const running = backups.find((other) => backupState(other) === 'pending');
  if (running) {
    throw new ActionError(
      `backup ${running.uuid} ('${running.name}') of this server is still running; restoring now would race it. Wait for it to finish, then run again. Nothing was changed.`,
    );
  }

  // The socket (if any) is closed before the restore: the daemon closes it then anyway (wings.md §6).
  const watch = await openPowerWatch(ctx, server);
  let powerBefore: PowerState;
  let restartAfter = false;
  let stoppedHere = false;
  try {
    // A cached `offline` is read again once the cache has expired whenever it matters: before a
    // stop, and before a truncating restore that restart-server: false would run on a live server.
    powerBefore = await stateBeforeRestore(ctx, watch, deadline, !settings.dryRun && (settings.restartServer || settings.truncate));
    if (!settings.restartServer) checkLeftRunning(ctx, powerBefore);
    restartAfter = settings.restartServer && wasRunning(powerBefore) && settings.wait;
    if (settings.dryRun) {
      dryRunNote(ctx, backup, settings.restartServer ? powerBefore : undefined, restartAfter);
      return;
    }
    if (settings.restartServer && powerBefore !== 'offline') {
      await stopServer(ctx, deadline, watch);
      stoppedHere = wasRunning(powerBefore);
    }
  } finally {
    watch.close();
  }

  const restoreAt = estimatePanelNow(panelDate, readAt, ctx.now()) ?? ctx.now();
  log.info(`Restoring ${describeRestore(backup, settings.truncate)}.`);
  try {
    await sendRestore(ctx, backup, restoreAt);
  } catch (error) {
    // Refused before anything changed: bring back the server this run stopped (wait or not).
    if (stoppedHere && nothingChanged(error, settings.truncate)) {
      log.info('The restore was refused and nothing was restored; starting the server again.');
      await startServer(ctx).catch((startError: unknown) => log.warning(`The server could not be started again: ${(startError as Error).message}`));
    }
    throw error;
  }
  ctx.outputs.setStatus('restoring');
  ctx.report.status = 'restoring';
  if (!settings.wait) {
    const left = stoppedHere ? ' The server is left stopped: start it once the restore has finished.' : '';
    log.info(`Not waiting (wait: false): the restore is running; status is restoring.${left}`);
    if (left) ctx.report.notes.push(left.trim());
    return;
  }

  await waitForRestore(ctx, deadline, stoppedHere);
  const outcome = hasPermission(server.permissions, 'activity.read') === false ? 'unknown' : await awaitRestoreOutcome(ctx, restoreAt - 2_000);
  if (outcome === 'failed') {
    ctx.outputs.setStatus('failed');
    ctx.report.status = 'failed';
    throw new ActionError(
      `the restore of backup ${backup.uuid} failed (the panel's activity log says so).${settings.truncate ? ' With truncate the server files may be gone.' : ''} ` +
        'The server is left stopped: check its files and the node\'s Wings log before starting it.',
    );
  }
  ctx.outputs.setStatus('restored');
  ctx.report.status = 'restored';
  if (outcome === 'unknown') {
    const note =
      "The restore finished, but its outcome could not be confirmed from the panel's activity log (permission activity.read): it showed no result for it, or could not be read.";
    log.warning(note);
    ctx.report.notes.push(note);
  } else {
    log.info(`Backup ${backup.uuid} was restored.`);
  }
  if (restartAfter) {
    await startServer(ctx).catch((error: unknown) => {
      throw ctx.signal.aborted ? error : new ActionError(`backup ${backup.uuid} was restored, but ${(error as Error).message}`, { cause: error });
    });
  }
}

/** A restore is possible only while the server has no status (installing, transferring, restoring, ...). */
function refuseUnlessIdle(server: ServerInfo): void {
  if (server.status === null) return;
  throw new ActionError(
    server.status === 'restoring_backup'
      ? 'a restore is already running on this server. Wait for it to finish, then run again. Nothing was changed.'
      : `the server's status is '${server.status}', in which a restore is not possible. Wait until it is back to normal, then run again. Nothing was changed.`,
  );
}

/**
 * With restart-server: false the action leaves the power alone, but the daemon does not: it stops
 * a running server for the restore, after deleting its files when truncating, and never starts it
 * again (wings.md §6). Refused with truncate while the server runs; otherwise said out loud.
 */
function checkLeftRunning(ctx: OperationContext, currentState: PowerState): void {
  if (currentState === 'offline') return;
  if (ctx.settings.truncate) {
    throw new ActionError(
      `the server is ${currentState} and restart-server is false: with truncate the daemon deletes every server file while the server is still running, and only then stops it. ` +
        'Set restart-server: true (needs control.stop and control.start), or stop the server first. Nothing was changed.',
    );
  }
  const note = `The server is ${currentState}: the daemon stops it for the restore and does not start it again, so with restart-server: false it is left stopped.`;
  ctx.log.warning(note);
  ctx.report.notes.push(note);
}

function describeRestore(backup: Backup, truncate: boolean): string {
  return `backup ${backup.uuid} ('${backup.name}', created ${backup.createdAt})${truncate ? ', deleting all server files first (truncate)' : ''}`;
}

/** What a dry run would have done, in one line of the log and the summary. */
function dryRunNote(ctx: OperationContext, backup: Backup, powerBefore: PowerState | undefined, restartAfter: boolean): void {
  const steps = [
    powerBefore === undefined ? 'leave the power state alone (restart-server: false)' : powerBefore === 'offline' ? 'leave the stopped server stopped' : `stop the server (now ${powerBefore})`,
    `restore ${describeRestore(backup, ctx.settings.truncate)}`,
    restartAfter ? 'start the server again' : powerBefore !== undefined && wasRunning(powerBefore) ? 'leave the server stopped (wait: false)' : undefined,
  ].filter(Boolean);
  const note = `Dry run: would ${steps.join(', then ')}. Nothing was changed.`;
  ctx.log.info(note);
  ctx.report.notes.push(note);
}

/** Only a successful backup is restored, whatever the panel would allow. */
function refuseUnlessRestorable(backup: Backup): void {
  const state = backupState(backup);
  if (state === 'successful') return;
  throw new ActionError(
    state === 'pending'
      ? `backup ${backup.uuid} ('${backup.name}') is still running; only a successful backup can be restored. Wait for it, then run again. Nothing was changed.`
      : `backup ${backup.uuid} ('${backup.name}') failed; restoring it would wipe files and then fail. Choose a successful backup (e.g. backup-id: latest). Nothing was changed.`,
  );
}

/** A restore that may or may not have run: the server must not be started as if nothing happened. */
class RestoreUnclearError extends ActionError {}

/**
 * Sends the restore once. After an unclear failure the server's status and the activity log are
 * watched for a while: a `restoring_backup` status or a restore entry means it started; only when
 * neither shows, and the log could be read, is it sent again, once.
 */
async function sendRestore(ctx: OperationContext, backup: Backup, restoreAt: number): Promise<void> {
  try {
    await ctx.client.restoreBackup(ctx.serverId, backup.uuid, ctx.settings.truncate);
    return;
  } catch (error) {
    // The panel's own DaemonConnectionException is clear: it rolled the restore back.
    const unclear = isUnclearFailure(error) && !(error instanceof PanelError && error.code === 'DaemonConnectionException');
    if (error instanceof PanelError && error.status === 429) {
      throw new ActionError(
        `the panel throttled the restore (${error.detail}): Pelican allows 3 restores per 15 minutes per server, and every panel limits the requests of a key per minute. Wait, then run again. Nothing was restored.`,
        { cause: error },
      );
    }
    if (!unclear) throw error;
    ctx.log.warning(`The restore request got no clear answer (${(error as Error).message}); reading the server's state before anything else.`);
  }
  const started = await didRestoreStart(ctx, restoreAt - 2_000);
  if (started) return;
  if (started === undefined) {
    throw new RestoreUnclearError(
      "the restore request got no clear answer, and without activity.read the action cannot tell whether it ran (a quick restore leaves the server's status as it was). " +
        "It was not sent again, so as not to restore twice. Check the server's files and the panel's activity log, then run again if it did not happen. The server is left stopped.",
    );
  }
  ctx.log.info(`The restore did not start (nothing shows it after ${formatElapsed(START_SETTLE_MS)}); sending it once more.`);
  await ctx.client.restoreBackup(ctx.serverId, backup.uuid, ctx.settings.truncate);
}

/** A refusal by the panel (4xx), or a daemon failure it rolled back without truncate, changed no files. */
function nothingChanged(error: unknown, truncate: boolean): boolean {
  if (error instanceof RestoreUnclearError) return false;
  if (error instanceof ActionError) return true; // the restore throttle
  if (!(error instanceof PanelError)) return false;
  if (error.code === 'DaemonConnectionException') return !truncate;
  return error.status < 500;
}

