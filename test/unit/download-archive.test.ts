import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { downloadArchive, resolveDownloadTarget } from '../../src/download/download-archive.js';
import { removeTemporariesNow } from '../../src/download/temporary-files.js';
import type { DownloadArchiveOptions } from '../../src/download/download-archive.js';
import { ActionError } from '../../src/errors.js';
import { HttpTransport } from '../../src/http/transport.js';
import type { Backup } from '../../src/panel/types.js';
import { recordingLog } from '../support/recording-log.ts';

/** A disk fault for the archive's file handle: writes fail (a full disk) or the close does. */
const disk: { fault: 'enospc' | 'close-eio' | undefined } = { fault: undefined };
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const failing = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (disk.fault === 'enospc') handle.writev = async () => Promise.reject(failing('ENOSPC'));
      if (disk.fault === 'close-eio') {
        const close = handle.close.bind(handle);
        handle.close = async () => {
          await close();
          throw failing('EIO');
        };
      }
      return handle;
    },
  };
});

const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const USER_AGENT = 'pterodactyl-backup-action/test';
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// A deterministic archive: 1 MiB blocks of a seeded pattern, each stamped with its index, so any
// size can be streamed (and hashed) without holding it in memory.

const PATTERN = createHash('sha512').update('seed').digest();
const BLOCK = Buffer.alloc(MiB);
for (let i = 0; i < MiB; i += PATTERN.length) PATTERN.copy(BLOCK, i);

function* archiveChunks(size: number, chunkSize = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += chunkSize) {
    const length = Math.min(chunkSize, size - offset);
    const block = Math.floor(offset / MiB);
    const start = offset % MiB;
    const chunk = Buffer.allocUnsafe(length);
    BLOCK.copy(chunk, 0, start, start + length);
    // Stamp the block index into the first bytes of each block (chunks never straddle blocks).
    if (start === 0 && length >= 4) chunk.writeUInt32BE(block, 0);
    yield chunk;
  }
}

function sha1Of(size: number): string {
  const hash = createHash('sha1');
  for (const chunk of archiveChunks(size, MiB)) hash.update(chunk);
  return hash.digest('hex');
}

function sha1File(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

function sha256Of(size: number): string {
  const hash = createHash('sha256');
  for (const chunk of archiveChunks(size, MiB)) hash.update(chunk);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// A stand-in for Wings' `GET /download/backup?token=` (wings.md §4): single-use tokens, JSON
// errors, Content-Length, and one behaviour per token for the faults.

type Behaviour =
  | { kind: 'ok'; headers?: Record<string, string> }
  | { kind: 'truncate'; after: number }
  | { kind: 'corrupt'; at: number }
  | { kind: 'stall'; after: number }
  | { kind: 'status'; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  | { kind: 'length'; declared: number }
  | { kind: 'chunked'; size: number };

interface Seen {
  method: string;
  path: string;
  token: string | null;
  headers: IncomingHttpHeaders;
}

interface Daemon {
  origin: string;
  requests: Seen[];
  /** A fresh single-use URL whose answer follows `behaviour`. */
  issue(behaviour?: Behaviour): string;
  /** Gives an issued URL another behaviour (e.g. an error that quotes its own token). */
  reissue(url: string, behaviour: Behaviour): string;
  close(): Promise<void>;
}

async function startDaemon(size: number): Promise<Daemon> {
  const tokens = new Map<string, Behaviour>();
  const used = new Set<string>();
  const requests: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token');
    requests.push({ method: req.method ?? '', path: url.pathname, token, headers: req.headers });
    const behaviour = token ? tokens.get(token) : undefined;
    if (!token || !behaviour) return json(res, 500, { error: 'An unexpected error was encountered while processing this request', request_id: 'r1' });
    if (used.has(token)) return json(res, 404, { error: 'The requested resource was not found on this server.' });
    used.add(token);
    void serve(res, behaviour, size).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    issue(behaviour = { kind: 'ok' }) {
      // JWT-shaped, as Wings' tokens are.
      const token = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
      tokens.set(token, behaviour);
      return `${origin}/download/backup?token=${token}`;
    },
    reissue(url, behaviour) {
      tokens.set(new URL(url).searchParams.get('token')!, behaviour);
      return url;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function serve(res: ServerResponse, behaviour: Behaviour, size: number): Promise<void> {
  if (behaviour.kind === 'status') {
    res.writeHead(behaviour.status, { 'content-type': behaviour.contentType ?? 'application/json', ...behaviour.headers }).end(behaviour.body);
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${UUID}.tar.gz"`,
    ...(behaviour.kind === 'ok' ? behaviour.headers : {}),
  };
  const bodySize = behaviour.kind === 'chunked' ? behaviour.size : size;
  if (behaviour.kind === 'length') headers['content-length'] = behaviour.declared;
  else if (behaviour.kind !== 'chunked') headers['content-length'] = size;
  res.writeHead(200, headers);
  let sent = 0;
  for (const original of archiveChunks(bodySize)) {
    let chunk = original;
    if (behaviour.kind === 'corrupt' && behaviour.at >= sent && behaviour.at < sent + chunk.length) {
      chunk[behaviour.at - sent] = (chunk[behaviour.at - sent] ?? 0) ^ 0xff;
    }
    if ((behaviour.kind === 'truncate' || behaviour.kind === 'stall') && sent + chunk.length > behaviour.after) {
      chunk = chunk.subarray(0, behaviour.after - sent);
      // Wait until the bytes have left Node's buffers, so the client receives exactly `after` bytes
      // however busy the machine is; destroying earlier would drop some of them.
      if (chunk.length > 0) await new Promise<void>((resolve, reject) => res.write(chunk, (error) => (error ? reject(error) : resolve())));
      if (behaviour.kind === 'truncate') {
        // Content-Length promised the whole file; close the connection early.
        res.socket?.destroy();
      }
      // A stall: keep the connection open and send nothing more until the client gives up.
      return;
    }
    sent += chunk.length;
    if (!res.write(chunk)) await once(res, 'drain');
    if (res.destroyed) return;
  }
  res.end();
}

// ---------------------------------------------------------------------------------------------


function backupOf(size: number, overrides: Partial<Backup> = {}): Backup {
  return {
    uuid: UUID,
    name: 'octo/site@abc1234 run 1.1',
    isSuccessful: true,
    isLocked: false,
    checksum: `sha1:${sha1Of(size)}`,
    bytes: size,
    createdAt: '2026-01-01T00:00:00+00:00',
    completedAt: '2026-01-01T00:01:00+00:00',
    ignoredFiles: [],
    attributes: {},
    ...overrides,
  };
}

const SIZE = 3 * MiB + 12_345;
let dir: string;
let daemon: Daemon;
let transport: HttpTransport;
let log: ReturnType<typeof recordingLog>;
let issued: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-archive-'));
  daemon = await startDaemon(SIZE);
  transport = new HttpTransport({ userAgent: USER_AGENT });
  log = recordingLog();
  issued = [];
});
afterEach(async () => {
  disk.fault = undefined;
  await transport.close();
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
});

/** freshUrl handing out one URL per behaviour, in order (the last one repeats). */
function urls(...behaviours: Behaviour[]): () => Promise<string> {
  let call = 0;
  return async () => {
    const behaviour = behaviours[Math.min(call++, behaviours.length - 1)] ?? { kind: 'ok' };
    const url = daemon.issue(behaviour);
    issued.push(url);
    return url;
  };
}

function options(overrides: Partial<DownloadArchiveOptions> = {}): DownloadArchiveOptions {
  return {
    backup: backupOf(SIZE),
    freshUrl: urls({ kind: 'ok' }),
    target: join(dir, `${UUID}.tar.gz`),
    transport,
    allowInsecureHttp: true,
    signal: new AbortController().signal,
    log,
    retryDelayMs: 0,
    ...overrides,
  };
}

/** No message, log line or file name may hold a signed URL or its token. */
function expectNoTokens(...texts: string[]): void {
  for (const url of issued) {
    const token = new URL(url).searchParams.get('token')!;
    for (const text of [...texts, ...log.lines]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('token=');
    }
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('downloadArchive', () => {
  it('streams, verifies and moves the archive into place, sending nothing but a GET with the User-Agent', async () => {
    const result = await downloadArchive(options());
    const target = join(dir, `${UUID}.tar.gz`);
    expect(result).toMatchObject({ path: target, bytes: SIZE, sha1: sha1Of(SIZE), attempts: 1 });
    expect(result.bytesPerSecond).toBeGreaterThan(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(createHash('sha1').update(readFileSync(target)).digest('hex')).toBe(sha1Of(SIZE));
    expect(readdirSync(dir)).toEqual([`${UUID}.tar.gz`]);

    expect(daemon.requests).toHaveLength(1);
    const [request] = daemon.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/download/backup');
    // Only what undici adds itself plus the transport's User-Agent: no Authorization, no Range.
    expect(Object.keys(request?.headers ?? {}).sort()).toEqual(['connection', 'host', 'user-agent']);
    expect(request?.headers['user-agent']).toBe(USER_AGENT);

    expect(log.lines.find((l) => !l.startsWith('debug:'))).toBe(`info: Downloading backup ${UUID} ('octo/site@abc1234 run 1.1'), 3.0 MiB, from ${daemon.origin} to ${target}.`);
    expect(log.lines.filter((l) => /\(\d+%\)/.test(l))).toHaveLength(9);
    expect(log.lines.at(-1)).toMatch(new RegExp(`^info: Downloaded 3\\.0 MiB in .* \\(.*/s on average\\); size and SHA-1 match the panel's\\. Saved to ${target}\\.$`));
    expectNoTokens();
  });

  it('replaces an existing file only after verification', async () => {
    const target = join(dir, 'server.tar.gz');
    writeFileSync(target, 'previous archive');
    await downloadArchive(options({ target }));
    expect(readFileSync(target).length).toBe(SIZE);
  });

  it('retries a truncated transfer with a fresh URL', async () => {
    const result = await downloadArchive(options({ freshUrl: urls({ kind: 'truncate', after: MiB }, { kind: 'ok' }) }));
    expect(result.attempts).toBe(2);
    expect(issued).toHaveLength(2);
    expect(new Set(daemon.requests.map((r) => r.token)).size).toBe(2);
    const warning = log.lines.find((l) => l.startsWith('warning:'));
    expect(warning).toMatch(new RegExp(`^warning: Download attempt 1 of 3 failed: ${daemon.origin.replace(/\./g, '\\.')}: the connection was closed before the answer was complete \\(UND_ERR_SOCKET\\) after (\\d+\\.\\d) (KiB|MiB)\\. Trying again with a fresh URL\\.$`));
    // The count is what reached the file before the error: up to the 1 MiB sent, less whatever
    // undici still held when the connection closed (on a busy machine, a few KiB).
    const [, amount, unit] = /after (\d+\.\d) (KiB|MiB)/.exec(warning ?? '') ?? [];
    expect(Number(amount) * (unit === 'MiB' ? MiB : 1024)).toBeLessThanOrEqual(MiB);
    expect(Number(amount) * (unit === 'MiB' ? MiB : 1024)).toBeGreaterThan(MiB / 2);
    expect(readdirSync(dir)).toEqual([`${UUID}.tar.gz`]);
    expectNoTokens();
  });

  it('gives up after maxAttempts, leaving no file and the existing target untouched', async () => {
    const target = join(dir, 'keep.tar.gz');
    writeFileSync(target, 'previous archive');
    const error = await failure(downloadArchive(options({ target, freshUrl: urls({ kind: 'truncate', after: 100_000 }) })));
    expect(error).toBeInstanceOf(ActionError);
    // "after 97.7 KiB" when every byte sent reached the file; a busy machine may lose the last few.
    expect(error.message.replace(/ after \d+\.\d KiB /, ' after N KiB ')).toBe(
      `could not download backup ${UUID} ('octo/site@abc1234 run 1.1') from ${daemon.origin}: ${daemon.origin}: the connection was closed before the answer was complete (UND_ERR_SOCKET) after N KiB (3 attempts, each with a fresh URL).`,
    );
    expect(issued).toHaveLength(3);
    expect(readdirSync(dir)).toEqual(['keep.tar.gz']);
    expect(readFileSync(target, 'utf8')).toBe('previous archive');
    expectNoTokens(error.message);
  });

  it('retries a checksum mismatch once', async () => {
    const result = await downloadArchive(options({ freshUrl: urls({ kind: 'corrupt', at: 2 * MiB + 7 }, { kind: 'ok' }) }));
    expect(result.attempts).toBe(2);
    expect(result.sha1).toBe(sha1Of(SIZE));
    expect(log.lines.some((l) => l.includes("does not match the panel's checksum"))).toBe(true);
  });

  it('fails after a second checksum mismatch, whatever maxAttempts allows', async () => {
    const target = join(dir, 'keep.tar.gz');
    writeFileSync(target, 'previous archive');
    const error = await failure(downloadArchive(options({ target, maxAttempts: 5, freshUrl: urls({ kind: 'corrupt', at: 5 }) })));
    expect(issued).toHaveLength(2);
    expect(error.message).toContain(`does not match the panel's checksum: expected sha1:${sha1Of(SIZE)}, got sha1:`);
    expect(error.message).toContain('(2 attempts, each with a fresh URL). The archive on the node differs from what the panel recorded');
    expect(readdirSync(dir)).toEqual(['keep.tar.gz']);
    expect(readFileSync(target, 'utf8')).toBe('previous archive');
  });

  it('verifies a legacy sha256 checksum', async () => {
    const good = await downloadArchive(options({ backup: backupOf(SIZE, { checksum: `sha256:${sha256Of(SIZE)}` }) }));
    expect(good.sha1).toBe(sha1Of(SIZE));
    expect(log.lines.at(-1)).toContain("size and SHA-256 match the panel's");
    const error = await failure(downloadArchive(options({ backup: backupOf(SIZE, { checksum: `sha256:${'0'.repeat(64)}` }) })));
    expect(error.message).toContain(`expected sha256:${'0'.repeat(64)}, got sha256:${sha256Of(SIZE)}`);
  });

  it('refuses, before asking for a URL, a backup whose archive could not be verified', async () => {
    const label = `backup ${UUID} ('octo/site@abc1234 run 1.1') cannot be downloaded and verified`;
    const none = await failure(downloadArchive(options({ backup: backupOf(SIZE, { checksum: null }) })));
    expect(none.message).toContain(`${label}: the panel reports no checksum for it, so an intact archive could not be told from a broken or empty one.`);
    const odd = await failure(downloadArchive(options({ backup: backupOf(SIZE, { checksum: 'md5:abc' }) })));
    expect(odd.message).toContain(`${label}: the panel's checksum for it has an unknown format ('md5:abc')`);
    const empty = await failure(downloadArchive(options({ backup: backupOf(0, { checksum: `sha1:${'da39a3ee5e6b4b0d3255bfef95601890afd80709'}` }) })));
    expect(empty.message).toContain(`${label}: the panel reports its size as 0 bytes`);
    expect(issued).toHaveLength(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never follows a redirect of a signed URL, and does not retry it', async () => {
    const elsewhere = 'https://elsewhere.example:9443/steal?token=eyJabc.def.ghi';
    const error = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 302, body: '', headers: { location: elsewhere } }) })));
    expect(issued).toHaveLength(1);
    expect(daemon.requests).toHaveLength(1);
    expect(error.message).toContain(`${daemon.origin} answered 302, a redirect to https://elsewhere.example:9443 (one attempt). Signed download URLs are not followed through redirects`);
    expect(error.message).not.toContain('steal');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes an error page sent with 200 for what it is, with the text it carries', async () => {
    const page = JSON.stringify({ error: 'Access denied by the gateway' });
    const jsonError = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 200, body: page }) })));
    expect(jsonError.message).toContain(`${daemon.origin} answered 200 with JSON instead of the archive: "Access denied by the gateway" (one attempt). Something in front of the node`);
    const html = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 200, body: '<html>Sign in</html>', contentType: 'text/html; charset=utf-8' }) })));
    expect(html.message).toContain('answered 200 with an HTML page instead of the archive');
    const other = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 204, body: '' }) })));
    expect(other.message).toContain(`${daemon.origin} answered 204 (one attempt). The daemon sends the archive with 200`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says when it replaces an existing file, and replaces a symbolic link, not what it points to', async () => {
    writeFileSync(join(dir, `${UUID}.tar.gz`), 'old archive');
    await downloadArchive(options());
    expect(log.lines).toContain(`info: Replacing the existing file ${join(dir, `${UUID}.tar.gz`)} (11 B).`);
    expect(sha1File(join(dir, `${UUID}.tar.gz`))).toBe(sha1Of(SIZE));

    const pointedAt = join(dir, 'keep-me.txt');
    writeFileSync(pointedAt, 'untouched');
    const link = join(dir, 'link.tar.gz');
    symlinkSync(pointedAt, link);
    await downloadArchive(options({ target: link }));
    expect(log.lines).toContain(`info: ${link} is a symbolic link: the link itself is replaced by the archive; the file it points to is left as it is.`);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(pointedAt, 'utf8')).toBe('untouched');
  });

  it('writes a progress line while no data arrives', async () => {
    const result = await downloadArchive(options({ progressIntervalMs: 200, idleTimeoutMs: 1_500, freshUrl: urls({ kind: 'stall', after: MiB }, { kind: 'ok' }) }));
    expect(result.attempts).toBe(2);
    expect(log.lines.filter((line) => line.startsWith('info: Downloaded 1.0 MiB of 3.0 MiB (33%) at 0 B/s')).length).toBeGreaterThanOrEqual(2);
  });

  it('treats a Content-Length other than the panel’s size as a mismatch without reading the body', async () => {
    const error = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'length', declared: SIZE - 1 }) })));
    expect(error.message).toContain(`${daemon.origin} announced ${SIZE - 1} bytes but the panel says the archive has ${SIZE}`);
    expect(issued).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('counts to the byte: one byte short is a short transfer, one byte over is too long', async () => {
    const short = await downloadArchive(options({ freshUrl: urls({ kind: 'chunked', size: SIZE - 1 }, { kind: 'ok' }) }));
    expect(short.attempts).toBe(2);
    expect(log.lines.some((l) => l.includes(`(${SIZE - 1} bytes) of 3.0 MiB (${SIZE} bytes)`))).toBe(true);
    const long = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'chunked', size: SIZE + 1 }) })));
    expect(long.message).toContain(`sent more than the ${SIZE} bytes the panel gives for the archive`);
  });

  it('never decodes the archive, even when it is labelled gzip-encoded', async () => {
    const result = await downloadArchive(options({ freshUrl: urls({ kind: 'ok', headers: { 'content-encoding': 'gzip' } }) }));
    expect(result.attempts).toBe(1);
    expect(sha1File(join(dir, `${UUID}.tar.gz`))).toBe(sha1Of(SIZE));
  });

  it('keeps a token the daemon echoes in its error out of every message', async () => {
    const echo = daemon.issue({ kind: 'status', status: 500, body: '' });
    const token = new URL(echo).searchParams.get('token')!;
    issued.push(echo);
    const bodies = JSON.stringify({ error: `invalid token ${token}` });
    const error = await failure(downloadArchive(options({ maxAttempts: 1, freshUrl: async () => daemon.reissue(echo, { kind: 'status', status: 500, body: bodies }) })));
    expect(error.message).toContain('answered 500');
    expectNoTokens(error.message);
  });

  it('stops a body longer than the panel’s size, and retries one that ends short', async () => {
    const long = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'chunked', size: SIZE + MiB }) })));
    expect(long.message).toContain(`sent more than the ${SIZE} bytes the panel gives for the archive`);
    expect(readdirSync(dir)).toEqual([]);

    const result = await downloadArchive(options({ freshUrl: urls({ kind: 'chunked', size: SIZE - 10 }, { kind: 'ok' }) }));
    expect(result.attempts).toBe(2);
    expect(log.lines.some((l) => l.includes(`ended after 3.0 MiB (${SIZE - 10} bytes) of 3.0 MiB (${SIZE} bytes)`))).toBe(true);
  });

  it('reports a reused URL with the daemon’s own text and never reuses one itself', async () => {
    const url = daemon.issue({ kind: 'truncate', after: 1000 });
    issued.push(url);
    const error = await failure(downloadArchive(options({ freshUrl: async () => url })));
    expect(daemon.requests).toHaveLength(3);
    expect(error.message).toBe(
      `could not download backup ${UUID} ('octo/site@abc1234 run 1.1') from ${daemon.origin}: ${daemon.origin} answered 404: "The requested resource was not found on this server." (3 attempts, each with a fresh URL). ` +
        'The daemon accepts each signed URL once: it was used before this request (a proxy repeating requests?), or the daemon does not know the server.',
    );
    expectNoTokens(error.message);
  });

  it('does not retry when the daemon has no archive file', async () => {
    const missing = JSON.stringify({ error: 'The requested backup was not found on this server.' });
    const error = await failure(downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 404, body: missing }) })));
    expect(issued).toHaveLength(1);
    expect(error.message).toContain(`${daemon.origin} answered 404: "The requested backup was not found on this server." (one attempt). The archive is missing on the node`);
  });

  it('retries a 500 (bad or expired token) and explains it', async () => {
    const expired = JSON.stringify({ error: 'An unexpected error was encountered while processing this request', request_id: 'x' });
    const error = await failure(downloadArchive(options({ maxAttempts: 2, freshUrl: urls({ kind: 'status', status: 500, body: expired }) })));
    expect(issued).toHaveLength(2);
    expect(error.message).toContain('answered 500: "An unexpected error was encountered while processing this request" (2 attempts, each with a fresh URL). Wings answers 500');
    expectNoTokens(error.message);

    const recovered = await downloadArchive(options({ freshUrl: urls({ kind: 'status', status: 500, body: expired }, { kind: 'ok' }) }));
    expect(recovered.attempts).toBe(2);
  });

  it('retries a transfer that stalls longer than the idle timeout', async () => {
    const result = await downloadArchive(options({ idleTimeoutMs: 300, freshUrl: urls({ kind: 'stall', after: MiB }, { kind: 'ok' }) }));
    expect(result.attempts).toBe(2);
    expect(log.lines.some((l) => l.includes(`${daemon.origin}: no data arrived for 300 ms after 1.0 MiB`))).toBe(true);
    expect(readdirSync(dir)).toEqual([`${UUID}.tar.gz`]);
  });

  it('retries an unreachable daemon and says the runner must reach the node', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await failure(downloadArchive(options({ freshUrl: async () => `http://127.0.0.1:${port}/download/backup?token=abcdef` })));
    expect(error.message).toContain(`http://127.0.0.1:${port}: the connection was refused (ECONNREFUSED) (3 attempts, each with a fresh URL). The runner must reach the node itself`);
    expect(error.message).not.toContain('abcdef');
  });

  it('aborts promptly on cancellation and cleans up', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by SIGINT');
    const promise = downloadArchive(options({ signal: controller.signal, freshUrl: urls({ kind: 'stall', after: MiB }) }));
    while (!readdirSync(dir).some((name) => name.endsWith('.part'))) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = Date.now();
    controller.abort(reason);
    expect(await failure(promise)).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(readdirSync(dir)).toEqual([]);
    // A cancellation is not a failed attempt to try again.
    expect(log.lines.filter((line) => line.startsWith('warning:'))).toEqual([]);
    expect(issued).toHaveLength(1);
  });

  it('registers its temporary file, so that a forced exit can remove it', async () => {
    const controller = new AbortController();
    const promise = downloadArchive(options({ signal: controller.signal, freshUrl: urls({ kind: 'stall', after: MiB }) }));
    while (!readdirSync(dir).some((name) => name.endsWith('.part'))) await new Promise((resolve) => setTimeout(resolve, 5));
    removeTemporariesNow(); // what the forced exit after a cancellation runs
    expect(readdirSync(dir)).toEqual([]);
    controller.abort(new Error('cancelled'));
    await failure(promise);
  });

  it('passes on a failure to get a URL, leaving nothing behind', async () => {
    const panelError = new Error('the panel answered 403');
    await expect(downloadArchive(options({ freshUrl: async () => Promise.reject(panelError) }))).rejects.toBe(panelError);
    // A first attempt breaks; asking for the second URL fails.
    let calls = 0;
    const second = async (): Promise<string> => {
      if (calls++ === 0) return daemon.issue({ kind: 'truncate', after: 10_000 });
      throw panelError;
    };
    await expect(downloadArchive(options({ freshUrl: second }))).rejects.toBe(panelError);
    expect(calls).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not ask for a URL when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const freshUrl = urls({ kind: 'ok' });
    await expect(downloadArchive(options({ signal: controller.signal, freshUrl }))).rejects.toThrow('cancelled');
    expect(issued).toHaveLength(0);
  });

  it('refuses a backup that is not successful, before asking for a URL', async () => {
    const pending = await failure(downloadArchive(options({ backup: backupOf(SIZE, { isSuccessful: false, completedAt: null, checksum: null, bytes: 0 }) })));
    expect(pending).toBeInstanceOf(ActionError);
    expect(pending.message).toMatch(/is still running; only a successful backup can be downloaded/);
    const failed = await failure(downloadArchive(options({ backup: backupOf(SIZE, { isSuccessful: false, checksum: null, bytes: 0 }) })));
    expect(failed.message).toMatch(/is failed; only a successful backup/);
    expect(issued).toHaveLength(0);
  });

  it('refuses an http:// daemon URL without allow-insecure-http, before using it', async () => {
    const error = await failure(downloadArchive(options({ allowInsecureHttp: false })));
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toBe(
      `the download URL points to ${daemon.origin} over plain http://, so the archive and its signed token would travel in clear text. Set allow-insecure-http: true to allow it, or configure the node with HTTPS.`,
    );
    expect(daemon.requests).toHaveLength(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops at a full disk without trying more URLs, and keeps nothing', async () => {
    disk.fault = 'enospc';
    const error = await failure(downloadArchive(options()));
    expect(error.message).toBe(`could not write the archive to ${dir}: the disk is full. Nothing was kept.`);
    expect(issued).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not report an archive as saved when closing its file fails', async () => {
    disk.fault = 'close-eio';
    const error = await failure(downloadArchive(options()));
    expect(error.message).toMatch(/could not write the archive to .*EIO/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses early when the disk cannot hold the archive', async () => {
    const error = await failure(downloadArchive(options({ statfs: async () => ({ bavail: 10, bsize: 4096 }) })));
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toBe(
      `not enough free disk space in ${dir}: the archive needs 3.0 MiB (${SIZE} bytes) but only 40.0 KiB (40960 bytes) is free. Free some space on the runner or choose another download-path.`,
    );
    expect(issued).toHaveLength(0);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a directory it cannot write to before asking for a URL', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    const error = await failure(downloadArchive(options({ target: join(locked, 'x.tar.gz') })));
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toBe(`could not write the archive to ${locked}: EACCES. Nothing was kept.`);
    expect(issued).toHaveLength(0);
  });

  it('refuses a target that is a directory', async () => {
    await expect(downloadArchive(options({ target: dir }))).rejects.toThrow(/is a directory/);
    expect(issued).toHaveLength(0);
  });

  it('works with a target from resolveDownloadTarget', async () => {
    const target = await resolveDownloadTarget('nested/out/', dir, UUID);
    const result = await downloadArchive(options({ target }));
    expect(result.path).toBe(join(dir, 'nested', 'out', `${UUID}.tar.gz`));
  });
});

describe('downloadArchive with a large archive', () => {
  it('keeps memory flat while streaming hundreds of MiB', async () => {
    const size = 384 * MiB + 1;
    const big = await startDaemon(size);
    try {
      const checksum = `sha1:${sha1Of(size)}`;
      globalThis.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      const result = await downloadArchive(
        options({ backup: backupOf(size, { checksum }), freshUrl: async () => big.issue({ kind: 'ok' }) }),
      ).finally(() => clearInterval(sampler));
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(result.bytes).toBe(size);
      expect(result.sha1).toBe(checksum.slice(5));
      // A buffered download would grow by at least the archive's size (384 MiB).
      expect(peak - before).toBeLessThan(128 * MiB);
    } finally {
      await big.close();
    }
  });
});
