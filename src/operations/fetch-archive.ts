import { downloadArchive, resolveDownloadTarget } from '../download/download-archive.js';
import type { Backup, ServerInfo } from '../panel/types.js';
import type { OperationContext } from './context.js';
import { offerDownloadUrl } from './download-url.js';
import { requirePermission } from './server.js';

/**
 * The archive (when download-path asks for it), then a fresh `download-url`: the transfer uses up
 * its URL, so the output gets one asked for afterwards. The backup itself succeeded, so the
 * output is offered even when the download failed, for a later step to try again.
 */
export async function deliverArchive(ctx: OperationContext, server: ServerInfo, backup: Backup): Promise<void> {
  try {
    await fetchArchive(ctx, server, backup);
  } catch (error) {
    if (!ctx.signal.aborted) await offerDownloadUrl(ctx, server, backup).catch(() => undefined);
    throw error;
  }
  await offerDownloadUrl(ctx, server, backup);
}

/**
 * `download-path`: streams the archive of a successful backup to disk, verified against the
 * panel's size and checksum, with a fresh signed URL for every attempt; sets the `path` output.
 */
export async function fetchArchive(ctx: OperationContext, server: ServerInfo, backup: Backup): Promise<void> {
  const { settings } = ctx;
  if (settings.downloadPath === undefined) return;
  requirePermission(server, 'backup.download', 'download the archive (download-path)');
  const target = await resolveDownloadTarget(settings.downloadPath, ctx.workflow.workspace, backup.uuid);
  const result = await downloadArchive({
    backup,
    freshUrl: () => ctx.client.getDownloadUrl(ctx.serverId, backup.uuid),
    target,
    transport: ctx.transport,
    allowInsecureHttp: settings.allowInsecureHttp,
    signal: ctx.signal,
    log: ctx.log,
    now: ctx.now,
  });
  ctx.outputs.setPath(result.path);
  ctx.report.download = { path: result.path, bytes: result.bytes, durationMs: result.durationMs };
}
