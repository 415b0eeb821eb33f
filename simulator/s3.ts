// A stand-in for the S3 bucket that presigned download URLs point at (s3 mode; panel-api.md §4.4,
// wings.md §4.1). Generic S3 behaviour: reusable until X-Amz-Expires runs out, Range supported,
// XML errors. Requests are recorded (and faulted) as route 'wings.download'.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { REQUEST_FAULTS } from './faults.ts';
import { statusText } from './format.ts';
import { streamArchive } from './http-util.ts';
import { md5Hex, randomString } from './ids.ts';
import { S3_BUCKET, s3Signature } from './links.ts';
import { lowerHeaders, queryRecord } from './recorder.ts';
import type { SimCore } from './state.ts';
import type { RecordedRequest } from './types.ts';

function xmlError(res: ServerResponse, rec: RecordedRequest, status: number, code: string, message: string, extra = '', head = false): void {
  rec.status = status;
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}` +
    `<RequestId>${randomString(16, '0123456789ABCDEF')}</RequestId><HostId>${randomString(56)}</HostId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → [start, end) or 'invalid'. */
function parseRange(header: string | undefined, size: number): [number, number] | 'invalid' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 ? 'invalid' : [Math.max(0, size - n), size];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  return start >= size || end <= start ? 'invalid' : [start, end];
}

async function handle(core: SimCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers = lowerHeaders(req.headers);
  const rec = core.recorder.add({
    route: 'wings.download',
    method: req.method ?? 'GET',
    path: url.pathname,
    query: queryRecord(url.searchParams),
    headers,
    body: undefined,
    at: Date.now(),
  });
  const head = req.method === 'HEAD';
  const fault = core.faults.take('wings.download', REQUEST_FAULTS);
  if (fault?.kind === 'reset-before') {
    rec.status = 0;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'status' || fault?.kind === 'html' || fault?.kind === 'rate-limit') {
    const status = fault.kind === 'rate-limit' ? 503 : fault.status;
    xmlError(res, rec, status, fault.kind === 'rate-limit' ? 'SlowDown' : 'InternalError', statusText(status), '', head);
    return;
  }
  if (fault?.kind === 'delay') await new Promise<void>((resolve) => core.later(fault.ms, resolve));

  if (req.method !== 'GET' && !head) {
    xmlError(res, rec, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', '', head);
    return;
  }
  const q = url.searchParams;
  if (headers['authorization'] !== undefined && q.has('X-Amz-Signature')) {
    xmlError(res, rec, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', '', head);
    return;
  }
  const date = q.get('X-Amz-Date') ?? '';
  const expires = q.get('X-Amz-Expires') ?? '';
  const signed = parseAmzDate(date);
  if (signed === null || !/^\d+$/.test(expires) || !q.get('X-Amz-Signature')) {
    xmlError(res, rec, 403, 'AccessDenied', 'Access Denied', '', head);
    return;
  }
  if (Date.now() > signed + Number(expires) * 1000) {
    const expiredAt = new Date(signed + Number(expires) * 1000).toISOString();
    xmlError(res, rec, 403, 'AccessDenied', 'Request has expired', `<X-Amz-Expires>${expires}</X-Amz-Expires><Expires>${expiredAt}</Expires><ServerTime>${new Date().toISOString()}</ServerTime>`, head);
    return;
  }
  if (q.get('X-Amz-Signature') !== s3Signature(core, url.pathname, date, expires)) {
    xmlError(res, rec, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', '', head);
    return;
  }
  const m = new RegExp(`^/${S3_BUCKET}/([^/]+)/([^/]+)\\.tar\\.gz$`).exec(url.pathname);
  const backup = m ? core.backupByUuid(m[2] as string) : undefined;
  // Wings uploads the archive only on success; a deleted backup's object was removed.
  if (!backup || backup.deletedAt !== null || !backup.isSuccessful || backup.disk !== 's3') {
    xmlError(res, rec, 404, 'NoSuchKey', 'The specified key does not exist.', `<Key>${url.pathname.slice(S3_BUCKET.length + 2)}</Key>`, head);
    return;
  }
  if (fault?.kind === 'reset-after') {
    rec.status = 0;
    res.socket?.destroy();
    return;
  }
  const size = backup.bytes;
  const range = parseRange(headers['range'], size);
  if (range === 'invalid') {
    xmlError(res, rec, 416, 'InvalidRange', 'The requested range is not satisfiable', '', head);
    return;
  }
  const [start, end] = range ?? [0, size];
  const common: Record<string, string> = {
    'Content-Type': 'application/x-gzip',
    'Accept-Ranges': 'bytes',
    ETag: `"${md5Hex(backup.uuid)}"`,
    'Last-Modified': new Date(backup.completedAt ?? backup.createdAt).toUTCString(),
    'Content-Length': String(end - start),
    'x-amz-request-id': randomString(16, '0123456789ABCDEF'),
  };
  if (range) common['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
  const status = range ? 206 : 200;
  rec.status = status;
  res.writeHead(status, common);
  if (head) {
    res.end();
    return;
  }
  const bodyFault = core.faults.take('wings.download', ['truncate', 'corrupt']);
  await streamArchive(res, backup.uuid, start, end, {
    ...(bodyFault?.kind === 'corrupt' && end > start ? { corruptAt: start + Math.floor((end - start) / 2) } : {}),
    ...(bodyFault?.kind === 'truncate' ? { cutAfter: bodyFault.afterBytes } : {}),
  });
}

export function createS3Server(core: SimCore): Server {
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      handle(core, req, res).catch(() => res.destroy());
    });
  });
}
