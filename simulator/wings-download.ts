// Wings `GET /download/backup?token=...` (W router/router_download.go, router/tokens/backup.go,
// router/tokens/token_store.go; wings.md §4.2–§4.6). Checks, in order: JWT signature and exp → server
// lookup → one-time unique_id (consumed here, even if the file is then missing or the transfer breaks)
// → file lookup → stream. No Range support; HEAD is not routed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { archiveSizeOnDisk } from './backup-job.ts';
import { REQUEST_FAULTS } from './faults.ts';
import { statusText } from './format.ts';
import { streamArchive } from './http-util.ts';
import { uuidV4 } from './ids.ts';
import { verifyJwt } from './jwt.ts';
import type { SimCore } from './state.ts';
import type { RecordedRequest } from './types.ts';

const NOT_FOUND_RESOURCE = 'The requested resource was not found on this server.';
const NOT_FOUND_BACKUP = 'The requested backup was not found on this server.';
// W router/middleware/request_error.go: the generic error capture
const UNEXPECTED = 'An unexpected error was encountered while processing this request';

function wingsHeaders(core: SimCore, requestId: string): Record<string, string> {
  return {
    'X-Request-Id': requestId,
    'Access-Control-Allow-Origin': core.panelUrl,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
    'Access-Control-Max-Age': '7200',
  };
}

export function sendJson(res: ServerResponse, rec: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
  rec.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendText(res: ServerResponse, rec: RecordedRequest, status: number, text: string, contentType = 'text/plain'): void {
  rec.status = status;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function sleep(core: SimCore, ms: number): Promise<void> {
  return new Promise((resolve) => core.later(ms, resolve));
}

export async function handleWingsDownload(
  core: SimCore,
  req: IncomingMessage,
  res: ServerResponse,
  rec: RecordedRequest,
  url: URL,
): Promise<void> {
  if (req.method !== 'GET') {
    // gin: the route is GET-only and HandleMethodNotAllowed is off. Nothing is consumed.
    sendText(res, rec, 404, '404 page not found');
    return;
  }
  const fault = core.faults.take('wings.download', REQUEST_FAULTS);
  if (fault?.kind === 'reset-before') {
    rec.status = 0;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    if (typeof fault.body === 'string') sendText(res, rec, fault.status, fault.body);
    else sendJson(res, rec, fault.status, fault.body ?? { error: statusText(fault.status) }, fault.headers ?? {});
    return;
  }
  if (fault?.kind === 'html') {
    sendText(res, rec, fault.status, `<html><body><h1>${fault.status} ${statusText(fault.status)}</h1></body></html>`, 'text/html');
    return;
  }
  if (fault?.kind === 'rate-limit') {
    sendJson(res, rec, 429, { error: 'Too Many Requests' }, { 'Retry-After': String(fault.retryAfterSec ?? 1) });
    return;
  }
  if (fault?.kind === 'delay') await sleep(core, fault.ms);

  const requestId = uuidV4();
  const headers = wingsHeaders(core, requestId);
  const verified = verifyJwt(url.searchParams.get('token') ?? '', core.daemonToken);
  if (!verified.ok) {
    sendJson(res, rec, 500, { error: UNEXPECTED, request_id: requestId }, headers);
    return;
  }
  const claims = verified.claims;
  const server = core.servers.find((s) => s.uuid === claims['server_uuid']);
  if (!server) {
    sendJson(res, rec, 404, { error: NOT_FOUND_RESOURCE }, headers);
    return;
  }
  const uniqueId = String(claims['unique_id'] ?? '');
  if (core.usedDownloadIds.has(uniqueId)) {
    sendJson(res, rec, 404, { error: NOT_FOUND_RESOURCE }, headers);
    return;
  }
  core.usedDownloadIds.add(uniqueId);

  const backup = core.backupByUuid(String(claims['backup_uuid'] ?? ''));
  // A deleted backup's file was removed; a failed one left no archive here.
  const present =
    backup !== undefined &&
    backup.disk === 'wings' &&
    backup.deletedAt === null &&
    (backup.completedAt === null || backup.isSuccessful);
  if (!backup || !present) {
    sendJson(res, rec, 404, { error: NOT_FOUND_BACKUP }, headers);
    return;
  }
  if (fault?.kind === 'reset-after') {
    rec.status = 0;
    res.socket?.destroy();
    return;
  }
  // A running backup is written in place: the download is whatever is on disk now.
  const size = archiveSizeOnDisk(backup);
  const bodyFault = core.faults.take('wings.download', ['truncate', 'corrupt']);
  rec.status = 200;
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(size),
    'Content-Disposition': `attachment; filename="${backup.uuid}.tar.gz"`,
  });
  await streamArchive(res, backup.uuid, 0, size, {
    ...(bodyFault?.kind === 'corrupt' && size > 0 ? { corruptAt: Math.floor(size / 2) } : {}),
    ...(bodyFault?.kind === 'truncate' ? { cutAfter: bodyFault.afterBytes } : {}),
  });
}
