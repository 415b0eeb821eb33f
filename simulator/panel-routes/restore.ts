// POST /backups/{backup}/restore (BackupController::restore, RestoreBackupRequest; panel-api.md §4.5,
// §5.3; PEL app/Enums/ResourceLimit.php for Pelican's per-server restore throttle).
import { callDaemon } from '../daemon.ts';
import { E, noContent } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { backupOf, requirePermission, serverOf } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';
import { wingsRestore } from '../restore.ts';
import { asBool, validate } from '../validation.ts';

const PELICAN_RESTORE_LIMIT = 3;
const PELICAN_RESTORE_PERIOD_MS = 15 * 60 * 1000;

export function restoreBackup(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const backup = backupOf(ctx);
  if (core.flavor === 'pelican') {
    // A route throttle keyed by server; the general limiter's X-RateLimit-* headers stay on the answer.
    const r = core.restoreLimiter.attempt(`restore:${server.uuid}`, PELICAN_RESTORE_LIMIT, PELICAN_RESTORE_PERIOD_MS);
    if (!r.allowed) {
      throw E.throttled({ 'Retry-After': String(r.retryAfterSec), 'X-RateLimit-Reset': String(r.resetAtSec) });
    }
  }
  requirePermission(ctx, 'backup.restore');
  validate(ctx.input, { truncate: ['required', 'boolean'] });
  if (server.status !== null) {
    throw E.badRequest('This server is not currently in a state that allows for a backup to be restored.');
  }
  // The guard rejects only a backup that is both unsuccessful AND incomplete: a failed one passes.
  if (!backup.isSuccessful && backup.completedAt === null) {
    throw E.badRequest('This backup cannot be restored at this time: not completed or failed.');
  }
  const truncate = asBool(ctx.input['truncate']);
  // Transaction: status = restoring_backup, then the Wings call; a failure rolls the status back.
  core.setStatus(server, 'restoring_backup');
  try {
    callDaemon(core, 'backups.restore', () => wingsRestore(core, server, backup, truncate));
  } catch (err) {
    core.setStatus(server, null);
    throw err;
  }
  core.logActivity(server, 'server:backup.restore', { name: backup.name, truncate });
  return noContent();
}
