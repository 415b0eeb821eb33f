// The Wings side of a restore (W router/router_server_backup.go postServerRestoreBackup,
// W server/backup.go RestoreBackup) and the panel's restore callback
// (app/Http/Controllers/Api/Remote/Backups/BackupStatusController.php restore). See wings.md §6.
import { WingsCallError } from './daemon.ts';
import { powerAction, waitForOffline } from './power.ts';
import type { BackupModel, ServerModel, SimCore } from './state.ts';

// W router/middleware/request_error.go asFilesystemError: a missing file is a 404 with this text.
export const WINGS_FILE_NOT_FOUND = 'The requested resources was not found on the system.';

const RESTORED_FILES = ['server.properties', 'world/level.dat', 'plugins/config.yml'];

function sleep(core: SimCore, ms: number): Promise<void> {
  return new Promise((resolve) => core.later(ms, resolve));
}

/**
 * Runs inside the panel's restore transaction. The truncation happens synchronously inside Wings'
 * HTTP handler, *before* it checks that the archive exists, so a restore of a failed backup wipes the
 * files and then fails (the panel rolls its status back; the files stay deleted).
 */
export function wingsRestore(core: SimCore, server: ServerModel, backup: BackupModel, truncate: boolean): void {
  if (truncate) {
    server.filesPresent = false;
    core.recordEvent(server, 'files:truncated', { backup: backup.uuid, power: server.power });
  }
  const archiveExists = backup.deletedAt === null && backup.isSuccessful && backup.completedAt !== null;
  if (!archiveExists) throw new WingsCallError(404, WINGS_FILE_NOT_FOUND);
  // Wings answers 202 and continues in the background.
  void runRestore(core, server, backup, truncate);
}

async function runRestore(core: SimCore, server: ServerModel, backup: BackupModel, truncate: boolean): Promise<void> {
  core.recordEvent(server, 'restore:start', { backup: backup.uuid, power: server.power, truncate, openSockets: core.sink?.countOpen(server) ?? 0 });
  let ok = true;
  if (server.power !== 'offline') {
    // Wings asks the server to stop and waits (no kill); timing out fails the restore.
    powerAction(core, server, 'stop', 'restore');
    ok = await waitForOffline(core, server, core.settings.restoreStopTimeoutMs);
  }
  if (ok) {
    const step = core.settings.restoreDurationMs / (RESTORED_FILES.length + 1);
    for (const file of RESTORED_FILES) {
      await sleep(core, step);
      core.sink?.broadcast(server, 'daemon message', [`(restoring): ${file}`]);
    }
    await sleep(core, step);
    ok = core.settings.restoreOutcome === 'success';
  }
  if (ok) server.filesPresent = true;
  // Panel callback: status back to null even on failure; the activity log is the only place that
  // tells success from failure (note the '.' separator of the failure event in the panel source).
  if (server.status === 'restoring_backup') core.setStatus(server, null);
  // BackupStatusController::restore writes the status, then the activity entry: two steps.
  if (core.settings.restoreActivityLagMs > 0) await sleep(core, core.settings.restoreActivityLagMs);
  core.logActivity(
    server,
    ok ? 'server:backup.restore-complete' : 'server.backup.restore-failed',
    { name: backup.name },
    false,
  );
  core.recordEvent(server, 'restore:finish', { backup: backup.uuid, successful: ok, power: server.power });
  const from = backup.disk === 's3' ? 'S3' : 'local';
  core.sink?.broadcast(server, 'daemon message', [`Completed server restoration from ${from} backup.`]);
  core.sink?.broadcast(server, 'backup restore completed', ['']);
}
