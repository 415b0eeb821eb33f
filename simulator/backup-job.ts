// The Wings side of a backup (W server/backup.go Backup, W server/backup/backup_local.go) and the
// panel's status callback (app/Http/Controllers/Api/Remote/Backups/BackupStatusController.php).
import { archiveSha1 } from './archive.ts';
import type { BackupModel, ServerModel, SimCore } from './state.ts';
import type { BackupEventPayload } from './types.ts';

export function startBackupJob(core: SimCore, server: ServerModel, backup: BackupModel, durationMs?: number): void {
  backup.startedAt = Date.now();
  backup.durationMs = durationMs ?? core.settings.backupDurationMs;
  core.recordEvent(server, 'backup:start', { uuid: backup.uuid });
  core.later(backup.durationMs, () => {
    void finishBackup(core, server, backup);
  });
}

/** The archive is written at its final name while running, so a partial file exists (wings.md §3.2). */
export function archiveSizeOnDisk(backup: BackupModel, now: number = Date.now()): number {
  if (backup.completedAt !== null) return backup.isSuccessful ? backup.archiveSize : 0;
  const fraction = backup.durationMs > 0 ? (now - backup.startedAt) / backup.durationMs : 1;
  return Math.floor(backup.archiveSize * Math.max(0, Math.min(0.99, fraction)));
}

function exists(core: SimCore, backup: BackupModel): boolean {
  return backup.deletedAt === null && core.backups.includes(backup);
}

async function finishBackup(core: SimCore, server: ServerModel, backup: BackupModel): Promise<void> {
  const outcome = server.backupOutcome ?? core.settings.backupOutcome;
  if (outcome === 'stuck') {
    // Wings never reports (or its report never arrives): the panel shows it pending until pruned.
    core.recordEvent(server, 'backup:stuck', { uuid: backup.uuid });
    return;
  }
  if (outcome === 'success') {
    const checksum = await archiveSha1(backup.uuid, backup.archiveSize);
    // Remote callback: 404 for an unknown or (soft-)deleted uuid, 400 if already successful. When the
    // report fails, Wings deletes the archive and emits no websocket event (wings.md §2.3).
    if (!exists(core, backup) || backup.isSuccessful) {
      core.recordEvent(server, 'backup:report-rejected', { uuid: backup.uuid });
      return;
    }
    backup.isSuccessful = true;
    backup.checksum = `sha1:${checksum}`;
    backup.bytes = backup.archiveSize;
    backup.completedAt = Date.now();
    core.recordEvent(server, 'backup:complete', { uuid: backup.uuid, successful: true });
    emitBackupCompleted(core, server, backup.uuid, {
      checksum,
      checksum_type: 'sha1',
      file_size: backup.archiveSize,
      is_successful: true,
      uuid: backup.uuid,
    });
    return;
  }
  // Failure: the panel stores checksum null, bytes 0 and unlocks it; Wings emits the event even if
  // the panel notification failed.
  if (exists(core, backup) && !backup.isSuccessful) {
    backup.isSuccessful = false;
    backup.checksum = null;
    backup.bytes = 0;
    backup.isLocked = false;
    backup.completedAt = Date.now();
  }
  core.recordEvent(server, 'backup:complete', { uuid: backup.uuid, successful: false });
  emitBackupCompleted(core, server, backup.uuid, {
    checksum: '',
    checksum_type: 'sha1',
    file_size: 0,
    is_successful: false,
    uuid: backup.uuid,
  });
}

/**
 * Publish `backup completed` (W events/events.go strips the `:<uuid>` suffix since v1.5.4). The payload
 * is a Go map, so its keys are encoded in sorted order. A 'drop-event' fault on 'wings.ws.event' loses it.
 */
export function emitBackupCompleted(
  core: SimCore,
  server: ServerModel,
  uuid: string,
  payload: BackupEventPayload | string,
  respectFaults = true,
): void {
  if (respectFaults && core.faults.take('wings.ws.event', ['drop-event'])) {
    core.recordEvent(server, 'ws:event-dropped', { uuid });
    return;
  }
  const name = core.settings.legacyBackupEventName ? `backup completed:${uuid}` : 'backup completed';
  const arg = typeof payload === 'string' ? payload : JSON.stringify(sortKeys(payload));
  core.sink?.broadcast(server, name, [arg]);
}

function sortKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = (o as Record<string, unknown>)[k];
  return out;
}
