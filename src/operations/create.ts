import { ActionError } from '../errors.js';
import { defaultBackupName } from '../default-name.js';
import { hasPermission } from '../panel/types.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import { hasRetentionRules } from '../inputs/settings.js';
import { prepareWaiter } from '../wait/wait-for-backup.js';
import type { BackupWaiter } from '../wait/wait-for-backup.js';
import { applyRetention } from './apply-retention.js';
import type { OperationContext } from './context.js';
import { createWithoutDuplicates } from './create-request.js';
import type { CreateRequest, PanelClock } from './create-request.js';
import { deliverArchive } from './fetch-archive.js';
import { previewRotation, rotationFor, warnAboutLimitOfOne } from './rotation.js';
import { readServer, requirePermission } from './server.js';
import { findRecentBackup } from './skip-recent.js';

/**
 * `create`: make a backup (or reuse a recent one with skip-if-newer-than), wait until the panel
 * says it finished, report it, then apply retention. Nothing is deleted when the create or its
 * wait failed.
 */
export async function createOperation(ctx: OperationContext): Promise<void> {
  const { settings } = ctx;
  const deadline = ctx.now() + settings.waitTimeoutMs;
  // Set first: an `if: failure()` step reads `false`, not an empty string, whatever fails next.
  ctx.outputs.setSkipped(false);
  const view = await readServer(ctx);
  const clock = { panelDate: view.panelDate, localAt: ctx.now() };
  const server = view.server;
  checkPermissions(ctx, server);
  if (server.backupLimit === 0) {
    throw new ActionError("backups are disabled on this server: its backup limit is 0. Ask the panel's administrator to raise the limit.");
  }
  if (settings.rotate || hasRetentionRules(settings.retention)) ctx.outputs.startDeleted();
  warnAboutLimitOfOne(ctx, server);

  const name = settings.name ?? defaultBackupName(ctx.workflow);
  ctx.outputs.setName(name);

  if (settings.skipIfNewerThanMs !== undefined) {
    const recent = await findRecentBackup(ctx, settings.skipIfNewerThanMs);
    if (recent) {
      ctx.outputs.setSkipped(true);
      report(ctx, recent);
      ctx.report.status = 'skipped';
      ctx.report.notes.push(`Nothing was created: backup ${recent.uuid} is recent enough (skip-if-newer-than).`);
      await deliverArchive(ctx, server, recent);
      return;
    }
  }

  const request: CreateRequest = { name, ignored: settings.ignoredFiles, locked: settings.locked };
  const described = `backup '${name}' on server ${ctx.serverId}${settings.locked ? ', locked' : ''}${settings.ignoredFiles.length ? `, leaving out ${settings.ignoredFiles.length} pattern(s)` : ''}`;
  if (settings.dryRun) {
    await dryRun(ctx, server, described, name);
    return;
  }

  // The socket (if any) is open and authenticated before the create, so no completion is missed.
  const waiter = settings.wait ? await prepareWaiter(ctx, server) : undefined;
  try {
    await createAndWait(ctx, server, request, described, { clock, deadline, waiter });
  } finally {
    waiter?.close();
  }
}

async function createAndWait(
  ctx: OperationContext,
  server: ServerInfo,
  request: CreateRequest,
  described: string,
  { clock, deadline, waiter }: { clock: PanelClock; deadline: number; waiter: BackupWaiter | undefined },
): Promise<void> {
  const { settings, log } = ctx;
  log.info(`Creating ${described}.`);
  const makeRoom = settings.rotate ? rotationFor(ctx, server) : undefined;
  const { backup } = await createWithoutDuplicates(ctx, request, clock, deadline, makeRoom);
  report(ctx, backup);
  log.info(`Backup ${backup.uuid} ('${backup.name}') started.`);
  if (settings.locked && !backup.isLocked) {
    log.warning("The backup was created unlocked although locked: true was asked: the panel ignores is_locked when the key's user lacks backup.delete.");
  }
  if (!waiter) {
    log.info('Not waiting (wait: false): the backup is running; status is pending.');
    if (hasRetentionRules(settings.retention)) log.warning('Retention is skipped with wait: false: nothing is deleted before the new backup is known to have succeeded.');
    return;
  }
  const finished = await waiter.wait(backup, deadline);
  report(ctx, finished);
  await deliverArchive(ctx, server, finished);
  if (hasRetentionRules(settings.retention)) await applyRetention(ctx, { server, protectedUuids: new Set([finished.uuid]) });
}

function report(ctx: OperationContext, backup: Backup): void {
  ctx.outputs.setBackup(backup);
  ctx.report.backup = backup;
}

function checkPermissions(ctx: OperationContext, server: ServerInfo): void {
  const { settings } = ctx;
  requirePermission(server, 'backup.create', 'create backups');
  if (settings.wait || settings.skipIfNewerThanMs !== undefined) requirePermission(server, 'backup.read', 'read backups (to wait, or for skip-if-newer-than)');
  if (settings.downloadPath !== undefined) requirePermission(server, 'backup.download', 'download the archive (download-path)');
  if (settings.rotate || hasRetentionRules(settings.retention)) requirePermission(server, 'backup.delete', 'delete old backups (rotate and retention)');
  if (settings.locked && hasPermission(server.permissions, 'backup.delete') === false) {
    ctx.log.warning("locked will be ignored: the key's user lacks backup.delete, without which the panel creates the backup unlocked.");
  }
}

/** Says what a real run would do, reading but changing nothing. */
async function dryRun(ctx: OperationContext, server: ServerInfo, described: string, name: string): Promise<void> {
  const { settings, log } = ctx;
  const note = `Dry run: would create ${described}${settings.wait ? ' and wait for it' : ''}. Nothing was changed.`;
  log.info(note);
  ctx.report.notes.push(note);
  const rotated = settings.rotate ? await previewRotation(ctx, server) : new Set<string>();
  if (hasRetentionRules(settings.retention)) {
    await applyRetention(ctx, { server, protectedUuids: new Set(), alreadyDeleted: rotated, pretend: { name, createdAt: new Date(ctx.now()).toISOString() } });
  }
}
