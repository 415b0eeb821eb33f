import { ActionError } from '../errors.js';
import { defaultBackupName } from '../default-name.js';
import { hasPermission } from '../panel/types.js';
import { waitForBackup } from '../wait/wait-for-backup.js';
import type { OperationContext } from './context.js';
import { createWithoutDuplicates } from './create-request.js';
import { offerDownloadUrl } from './download-url.js';
import { readServer, requirePermission } from './server.js';

/** `create`: make a backup, wait until the panel says it finished, report it. */
export async function createOperation(ctx: OperationContext): Promise<void> {
  const { settings, log } = ctx;
  const deadline = ctx.now() + settings.waitTimeoutMs;
  const view = await readServer(ctx);
  const clock = { panelDate: view.panelDate, localAt: ctx.now() };
  const server = view.server;
  requirePermission(server, 'backup.create', 'create backups');
  if (settings.wait) requirePermission(server, 'backup.read', 'wait for the backup to finish (or set wait: false)');
  if (server.backupLimit === 0) {
    throw new ActionError("backups are disabled on this server: its backup limit is 0. Ask the panel's administrator to raise the limit.");
  }
  const lockIgnored = settings.locked && hasPermission(server.permissions, 'backup.delete') === false;

  const name = settings.name ?? defaultBackupName(ctx.workflow);
  ctx.outputs.setName(name);
  ctx.outputs.setSkipped(false);
  const request = { name, ignored: settings.ignoredFiles, locked: settings.locked };
  const described = `backup '${name}' on server ${ctx.serverId}${settings.locked ? ', locked' : ''}${settings.ignoredFiles.length ? `, leaving out ${settings.ignoredFiles.length} pattern(s)` : ''}`;

  if (settings.dryRun) {
    const note = `Dry run: would create ${described}${settings.wait ? ' and wait for it' : ''}. Nothing was changed.`;
    log.info(note);
    ctx.report.notes.push(note);
    if (lockIgnored) log.warning("locked would be ignored: the key's user lacks backup.delete, without which the panel creates the backup unlocked.");
    return;
  }

  log.info(`Creating ${described}.`);
  const { backup } = await createWithoutDuplicates(ctx, request, clock, deadline);
  ctx.outputs.setBackup(backup);
  ctx.report.backup = backup;
  log.info(`Backup ${backup.uuid} ('${backup.name}') started.`);
  if (settings.locked && !backup.isLocked) {
    log.warning(
      "The backup was created unlocked although locked: true was asked: the panel ignores is_locked when the key's user lacks backup.delete.",
    );
  }
  if (!settings.wait) {
    log.info('Not waiting (wait: false): the backup is running; status is pending.');
    return;
  }
  const finished = await waitForBackup(ctx, backup, deadline);
  await offerDownloadUrl(ctx, server, finished);
}
