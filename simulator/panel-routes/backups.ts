// Backup routes (app/Http/Controllers/Api/Client/Servers/BackupController.php,
// app/Services/Backups/InitiateBackupService.php, DeleteBackupService.php; panel-api.md §1–§5).
import { startBackupJob } from '../backup-job.ts';
import { callDaemon, wingsStatusOf } from '../daemon.ts';
import { E, HttpError, jsonReply, noContent } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { dateTimeString } from '../format.ts';
import { uuidV4 } from '../ids.ts';
import { downloadUrl } from '../links.ts';
import { paginate, resolvePage, resolvePerPage } from '../pagination.ts';
import { backupOf, queryValue, requirePermission, serverOf } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';
import type { BackupModel, ServerModel, SimCore } from '../state.ts';
import { backupEnvelope } from '../transform.ts';
import { asBool, validate } from '../validation.ts';

/** BackupRepository::getNonFailedBackups: in progress or successful, not deleted. */
export function nonFailedCount(core: SimCore, server: ServerModel): number {
  return core.backupsOf(server).filter((b) => b.completedAt === null || b.isSuccessful).length;
}

function nameMax(core: SimCore): number {
  // StoreBackupRequest: max 191; PEL StoreBackupRequest: max 255
  return core.flavor === 'pelican' ? 255 : 191;
}

export function listBackups(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  requirePermission(ctx, 'backup.read');
  // paginate(min($request->query('per_page', 20), 50)); no ordering, so insertion order.
  const perPage = resolvePerPage(queryValue(ctx, 'per_page'), 20, 50);
  if (perPage === 'error') throw E.unexpected('ErrorException');
  const page = resolvePage(queryValue(ctx, 'page'));
  const { items, pagination } = paginate(core.backupsOf(server), perPage, page, ctx.pathUrl);
  return jsonReply(200, {
    object: 'list',
    data: items.map((b) => backupEnvelope(core, b)),
    meta: { backup_count: nonFailedCount(core, server), pagination },
  });
}

/** InitiateBackupService::handle: the throttle is checked before the limit. */
function checkThrottle(core: SimCore, server: ServerModel, now: number): void {
  const period = core.settings.throttlePeriodSec;
  const limit = core.settings.throttleLimit;
  if (period <= 0) return;
  const nowSec = Math.floor(now / 1000);
  // BackupRepository::getBackupsGeneratedDuringTimespan: in progress or successful, created within the
  // period; soft-deleted rows included (Pelican hard-deletes, so they are gone there).
  const rows = core
    .backupsOf(server, true)
    .filter((b) => Math.floor(b.createdAt / 1000) >= nowSec - period && (b.completedAt === null || b.isSuccessful));
  if (rows.length < limit) return;
  // Retry-After: created_at of the last row of an unordered query + period, (int) seconds from now.
  const last = rows[rows.length - 1];
  const retryAfter = last ? Math.max(0, Math.trunc((Math.floor(last.createdAt / 1000) * 1000 + period * 1000 - now) / 1000)) : period;
  throw new HttpError(
    429,
    'TooManyRequestsHttpException',
    `Only ${limit} backups may be generated within a ${period} second span of time.`,
    { headers: { 'Retry-After': String(retryAfter) } },
  );
}

export function createBackup(ctx: Ctx): Reply {
  const { core, user } = ctx;
  const server = serverOf(ctx);
  requirePermission(ctx, 'backup.create');
  validate(ctx.input, {
    name: ['nullable', 'string', { max: nameMax(core) }],
    is_locked: ['nullable', 'boolean'],
    ignored: ['nullable', 'string'],
  });
  const now = Date.now();
  checkThrottle(core, server, now);
  if (!server.backupLimit || nonFailedCount(core, server) >= server.backupLimit) {
    throw E.tooManyBackups(server.backupLimit);
  }
  const rawName = ctx.input['name'];
  const ignored = ctx.input['ignored'];
  const backup: BackupModel = {
    id: core.newBackupId(),
    uuid: uuidV4(),
    serverId: server.id,
    name: typeof rawName === 'string' ? rawName : `Backup at ${dateTimeString(now, core.tzOffset)}`,
    // Split on "\n" (PHP_EOL) with empty entries dropped.
    ignoredFiles: typeof ignored === 'string' ? ignored.split('\n').filter((s) => s.length > 0) : [],
    // BackupController::store: is_locked is used only when the user may also delete backups.
    isLocked: core.can(user, server, 'backup.delete') ? asBool(ctx.input['is_locked']) : false,
    isScheduled: false,
    isSuccessful: false,
    checksum: null,
    bytes: 0,
    createdAt: now,
    completedAt: null,
    deletedAt: null,
    archiveSize: core.settings.archiveBytes,
    startedAt: now,
    durationMs: core.settings.backupDurationMs,
    disk: core.s3 ? 's3' : 'wings',
  };
  // The row is inserted in a transaction with the Wings call; a failed call leaves no row.
  callDaemon(core, 'backups.create', () => undefined);
  core.backups.push(backup);
  startBackupJob(core, server, backup);
  core.logActivity(server, 'server:backup.start', { name: backup.name, locked: asBool(ctx.input['is_locked']) });
  return jsonReply(200, backupEnvelope(core, backup));
}

export function viewBackup(ctx: Ctx): Reply {
  requirePermission(ctx, 'backup.read');
  return jsonReply(200, backupEnvelope(ctx.core, backupOf(ctx)));
}

export function downloadBackup(ctx: Ctx): Reply {
  const { core, user } = ctx;
  const server = serverOf(ctx);
  const backup = backupOf(ctx);
  requirePermission(ctx, 'backup.download');
  // No state check: in-progress and failed backups get a URL too (panel-api.md §4.4).
  const url = downloadUrl(core, server, backup, user);
  core.logActivity(server, 'server:backup.download', { name: backup.name });
  return jsonReply(200, { object: 'signed_url', attributes: { url } });
}

export function toggleLock(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const backup = backupOf(ctx);
  requirePermission(ctx, 'backup.delete');
  const event = backup.isLocked ? 'server:backup.unlock' : 'server:backup.lock';
  backup.isLocked = !backup.isLocked;
  core.logActivity(server, event, { name: backup.name });
  return jsonReply(200, backupEnvelope(core, backup));
}

export function deleteBackup(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const backup = backupOf(ctx);
  requirePermission(ctx, 'backup.delete');
  // DeleteBackupService: only a locked *successful, completed* backup is protected.
  if (backup.isLocked && backup.isSuccessful && backup.completedAt !== null) throw E.backupLocked();
  if (backup.disk === 'wings') {
    try {
      callDaemon(core, 'backups.delete', () => undefined);
    } catch (err) {
      // A 404 from Wings is ignored; Pelican also ignores adapter errors for unsuccessful backups.
      const ignorable = wingsStatusOf(err) === 404 || (core.flavor === 'pelican' && !backup.isSuccessful);
      if (!ignorable) throw err;
    }
  }
  core.deleteBackup(backup);
  core.recordEvent(server, 'backup:deleted', { uuid: backup.uuid });
  core.logActivity(server, 'server:backup.delete', { name: backup.name, failed: !backup.isSuccessful });
  return noContent();
}

/** Pelican only: PUT /backups/{backup}/rename (PEL RenameBackupRequest: name required|string|max:255). */
export function renameBackup(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const backup = backupOf(ctx);
  requirePermission(ctx, 'backup.delete');
  validate(ctx.input, { name: ['required', 'string', { max: 255 }] });
  const oldName = backup.name;
  backup.name = ctx.input['name'] as string;
  core.logActivity(server, 'server:backup.rename', { old_name: oldName, new_name: backup.name });
  return jsonReply(200, backupEnvelope(core, backup));
}
