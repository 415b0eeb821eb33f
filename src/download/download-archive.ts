import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ActionError } from '../errors.js';
import { formatBytes, formatElapsed } from '../format.js';
import { isLastingFailure, toNetworkError } from '../http/network-error.js';
import type { NetworkError } from '../http/network-error.js';
import { describeTarget } from '../http/transport.js';
import type { HttpTransport } from '../http/transport.js';
import type { Log } from '../operations/context.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import { sleep } from '../time.js';
import { ArchiveSink } from './archive-sink.js';
import { actualFor, ArchiveHasher, parseChecksum } from './checksum.js';
import type { Digests, ExpectedChecksum } from './checksum.js';
import { discardBody, originOf, readRefusal, scrub } from './daemon-answer.js';
import { ensureFreeSpace } from './disk-space.js';
import type { StatFs } from './disk-space.js';
import { createProgress, formatRate } from './progress.js';
import { temporaryPathFor } from './target-path.js';
import { trackTemporary, untrackTemporary } from './temporary-files.js';

export { resolveDownloadTarget } from './target-path.js';

export interface DownloadArchiveOptions {
  /** Must be successful; anything else is refused. */
  backup: Backup;
  /**
   * Asks the panel for a fresh signed URL; called right before EACH attempt (single-use URLs,
   * never reused). The caller masks it.
   */
  freshUrl: () => Promise<string>;
  /** Absolute target path already resolved (see resolveDownloadTarget). */
  target: string;
  transport: HttpTransport;
  /** An http:// daemon URL needs it. */
  allowInsecureHttp: boolean;
  signal: AbortSignal;
  log: Log;
  now?: () => number;
  /** Transfers in all, each with a fresh URL (default 3). */
  maxAttempts?: number;
  /** Longest wait for the answer and, during the transfer, for each chunk (default 60 s). */
  idleTimeoutMs?: number;
  /** Wait before attempt n is (n - 1) × this (default 2 s). */
  retryDelayMs?: number;
  /** Replaces `fs.statfs` for the free-space check (tests). */
  statfs?: StatFs;
  /** Longest time between progress lines (default 15 s). */
  progressIntervalMs?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Lowercase hex SHA-1 of the archive (verified unless the panel had no checksum). */
  sha1: string;
  /** Wall time of the whole download, earlier failed attempts and waits included. */
  durationMs: number;
  /** Transfers made, the successful one included. */
  attempts: number;
  /** Average speed of the transfer that succeeded. */
  bytesPerSecond: number;
}

/** A checksum or size mismatch is retried once (the archive is probably bad on the node). */
const MAX_MISMATCHES = 2;

type Failure = {
  /** `retry`: a fresh URL may help; `mismatch`: the bytes were wrong; `final`: no retry helps. */
  type: 'retry' | 'mismatch' | 'final';
  reason: string;
  hint?: string | undefined;
};

type Transfer = { ok: true; bytes: number; digests: Digests; ms: number } | { ok: false; failure: Failure };

interface AttemptContext {
  backup: Backup;
  target: string;
  expected: ExpectedChecksum;
  transport: HttpTransport;
  signal: AbortSignal;
  log: Log;
  now: () => number;
  idleTimeoutMs: number;
  progressIntervalMs: number | undefined;
}

/**
 * Downloads a backup's archive to `target`: streamed to a temporary file beside it while SHA-1
 * is computed in the same pass, checked against the panel's `bytes` and `checksum`, and renamed
 * into place only when both match. Each attempt GETs a fresh signed URL exactly once: Wings
 * tokens are single use, consumed even when the transfer then breaks, and the daemon has no
 * Range support (Wings: router/router_download.go, router/tokens/backup.go). No panel header is
 * sent to the URL, and messages show only its scheme and host.
 */
export async function downloadArchive(options: DownloadArchiveOptions): Promise<DownloadResult> {
  const { backup, target, log, signal } = options;
  const now = options.now ?? Date.now;
  const maxAttempts = Number.isFinite(options.maxAttempts) ? Math.max(1, Math.floor(options.maxAttempts!)) : 3;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const label = `backup ${backup.uuid} ('${backup.name}')`;

  const state = backupState(backup);
  if (state !== 'successful') {
    throw new ActionError(`${label} is ${state === 'pending' ? 'still running' : 'failed'}; only a successful backup can be downloaded.`);
  }
  if (!isAbsolute(target)) throw new Error(`downloadArchive needs an absolute target path, got ${target}.`);
  if (await isDirectory(target)) throw new ActionError(`download-path: ${target} is a directory, so the archive cannot be written there.`);

  // A successful backup always has `sha1:<hex>` and its size (panel-api.md §4.2): without them
  // nothing could prove the archive intact, and an empty .tar.gz is never a valid one.
  const expected = parseChecksum(backup.checksum);
  const unverifiable =
    expected.kind === 'none'
      ? 'the panel reports no checksum for it'
      : expected.kind === 'unknown'
        ? `the panel's checksum for it has an unknown format ('${expected.value.slice(0, 80)}')`
        : !(backup.bytes > 0)
          ? `the panel reports its size as ${backup.bytes} bytes`
          : undefined;
  if (unverifiable) {
    throw new ActionError(
      `${label} cannot be downloaded and verified: ${unverifiable}, so an intact archive could not be told from a broken or empty one. ` +
        'Check the backup in the panel; a new backup gets a proper checksum.',
    );
  }

  signal.throwIfAborted();
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    throw writeError(error, target);
  }
  await ensureFreeSpace(dirname(target), backup.bytes, log, options.statfs);

  const context: AttemptContext = {
    backup,
    target,
    expected,
    transport: options.transport,
    signal,
    log,
    now,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    progressIntervalMs: options.progressIntervalMs,
  };
  const started = now();
  let mismatches = 0;
  let last: Failure | undefined;
  let origin = '';
  let attempt = 0;
  while (attempt < maxAttempts) {
    attempt++;
    if (attempt > 1) await sleep(retryDelayMs * (attempt - 1), signal);
    signal.throwIfAborted();
    // The file first: a directory the runner cannot write to must not cost a single-use URL.
    const temp = await openTemporary(target);
    let transfer: Transfer;
    try {
      const url = checkUrl(await options.freshUrl(), options.allowInsecureHttp);
      origin = originOf(url);
      log.info(
        attempt === 1
          ? `Downloading ${label}, ${formatBytes(backup.bytes)}, from ${origin} to ${target}.`
          : `Download attempt ${attempt} of ${maxAttempts}, with a fresh URL.`,
      );
      transfer = await transferOnce(url, temp.file, context);
      await closeFile(temp);
      if (transfer.ok) await moveIntoPlace(temp, target, log);
    } finally {
      await discard(temp);
    }

    if (transfer.ok) {
      const bytesPerSecond = (transfer.bytes * 1_000) / Math.max(1, transfer.ms);
      const verified = expected.kind === 'digest' ? `size and ${expected.algorithm === 'sha1' ? 'SHA-1' : 'SHA-256'} match the panel's` : "size matches the panel's";
      log.info(`Downloaded ${formatBytes(transfer.bytes)} in ${formatElapsed(transfer.ms)} (${formatRate(bytesPerSecond)} on average); ${verified}. Saved to ${target}.`);
      return { path: target, bytes: transfer.bytes, sha1: transfer.digests.sha1, durationMs: now() - started, attempts: attempt, bytesPerSecond };
    }

    last = transfer.failure;
    if (last.type === 'mismatch') mismatches++;
    const giveUp = last.type === 'final' || mismatches >= MAX_MISMATCHES || attempt >= maxAttempts;
    if (giveUp) break;
    const wait = retryDelayMs * attempt;
    log.warning(
      `Download attempt ${attempt} of ${maxAttempts} failed: ${last.reason}. Trying again with a fresh URL${wait > 0 ? ` in ${formatElapsed(wait)}` : ''}.`,
    );
  }

  const failure = last!;
  const tries = attempt === 1 ? 'one attempt' : `${attempt} attempts, each with a fresh URL`;
  throw new ActionError(`could not download ${label} from ${origin}: ${failure.reason} (${tries}).${failure.hint ? ` ${failure.hint}` : ''}`);
}

/** Parses the panel's URL and applies the `allow-insecure-http` rule; never echoes the URL. */
function checkUrl(value: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ActionError('the panel returned a download URL that is not a valid URL.');
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new ActionError(
      `the download URL points to ${originOf(url)} over plain http://, so the archive and its signed token would travel in clear text. ` +
        'Set allow-insecure-http: true to allow it, or configure the node with HTTPS.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ActionError(`the panel returned a download URL with the unsupported scheme ${url.protocol}`);
  }
  return url;
}

/** One GET of one URL, streamed through the hash into the open temporary file. */
async function transferOnce(url: URL, file: FileHandle, ctx: AttemptContext): Promise<Transfer> {
  const { backup, signal } = ctx;
  const origin = originOf(url);
  const started = ctx.now();
  let response;
  try {
    // No headers of our own: the panel's Authorization and `headers` never go to the daemon or S3.
    response = await ctx.transport.stream({ method: 'GET', url, headers: {}, timeoutMs: ctx.idleTimeoutMs, signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // A setting the transport cannot use (a socks5:// proxy): no attempt can succeed.
    if (error instanceof ActionError) throw error;
    return { ok: false, failure: networkFailure(error, url, ctx.idleTimeoutMs) };
  }

  if (response.status !== 200) {
    const refusal = await readRefusal(response.status, response.body, url, response.headers);
    return { ok: false, failure: { type: refusal.permanent ? 'final' : 'retry', reason: refusal.reason, hint: refusal.hint } };
  }
  // An error page or JSON error sent with 200 (a proxy or login page in front of the node) is not the archive.
  const page = errorPageType(response.headers['content-type']);
  if (page) {
    const refusal = await readRefusal(response.status, response.body, url, response.headers);
    return {
      ok: false,
      failure: {
        type: 'final',
        reason: `${refusal.reason.replace(/ answered 200/, ` answered 200 with ${page} instead of the archive`)}`,
        hint: 'Something in front of the node (a proxy, an access login page) answered instead of the daemon; the runner must reach the daemon itself.',
      },
    };
  }
  // Wings sends Content-Length: the file's size (Wings: router/router_download.go).
  const declared = response.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== backup.bytes) {
    discardBody(response.body);
    return { ok: false, failure: sizeMismatch(`${origin} announced ${declared} bytes but the panel says the archive has ${backup.bytes}`) };
  }

  const progress = createProgress({
    total: backup.bytes,
    log: ctx.log,
    now: ctx.now,
    ...(ctx.progressIntervalMs !== undefined ? { intervalMs: ctx.progressIntervalMs } : {}),
  });
  const sink = new ArchiveSink(file, backup.bytes, new ArchiveHasher(ctx.expected), progress);
  const stopWatching = progress.watch();
  try {
    await pipeline(response.body, sink, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (sink.writeError !== undefined) throw writeError(sink.writeError, ctx.target);
    if (sink.overflow) return { ok: false, failure: sizeMismatch(`${origin} sent more than the ${backup.bytes} bytes the panel gives for the archive`) };
    return { ok: false, failure: networkFailure(error, url, ctx.idleTimeoutMs, sink.bytes) };
  } finally {
    stopWatching();
  }
  const ms = ctx.now() - started;

  const bytes = sink.bytes;
  if (bytes < backup.bytes) {
    return {
      ok: false,
      failure: { type: 'retry', reason: `the transfer from ${origin} ended after ${formatBytes(bytes)} (${bytes} bytes) of ${formatBytes(backup.bytes)} (${backup.bytes} bytes)` },
    };
  }
  const digests = sink.digests();
  const actual = actualFor(ctx.expected, digests);
  if (ctx.expected.kind === 'digest' && actual !== ctx.expected.hex) {
    const algorithm = ctx.expected.algorithm;
    return {
      ok: false,
      failure: {
        type: 'mismatch',
        reason: `the archive from ${origin} does not match the panel's checksum: expected ${algorithm}:${ctx.expected.hex}, got ${algorithm}:${actual}`,
        hint: 'The archive on the node differs from what the panel recorded (damaged on the node, or changed on the way); it was discarded.',
      },
    };
  }
  return { ok: true, bytes, digests, ms };
}

/** `an HTML page` / `JSON`: a content type that an archive is never sent with. */
function errorPageType(contentType: string | string[] | undefined): string | undefined {
  const type = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/html') return 'an HTML page';
  if (type === 'application/json' || type.endsWith('+json')) return 'JSON';
  return undefined;
}

function sizeMismatch(reason: string): Failure {
  return { type: 'mismatch', reason, hint: 'The archive on the node differs from what the panel recorded; nothing was kept.' };
}

/** A failed request or broken transfer, described by scheme and host only. */
function networkFailure(error: unknown, url: URL, idleTimeoutMs: number, bytes = 0): Failure {
  const origin = originOf(url);
  const network = toNetworkError(error, origin);
  const target = describeTarget({ method: 'GET', url });
  let reason = network.message.startsWith(target) ? origin + network.message.slice(target.length) : network.message;
  if (network.kind === 'response-timeout') reason = `${origin}: no data arrived for ${formatElapsed(idleTimeoutMs)}`;
  reason = scrub(reason.replace(/\.$/, ''), url);
  if (bytes > 0) reason += ` after ${formatBytes(bytes)}`;
  return {
    type: isLastingFailure(network.kind) ? 'final' : 'retry',
    reason,
    hint: unreachable(network) ? 'The runner must reach the node itself (its FQDN and daemon port, which the panel puts into the URL), not only the panel.' : undefined,
  };
}

function unreachable(error: NetworkError): boolean {
  return error.kind === 'refused' || error.kind === 'dns' || error.kind === 'connect-timeout';
}

function writeError(error: unknown, path: string): ActionError {
  const code = (error as { code?: string }).code;
  const what = code === 'ENOSPC' ? 'the disk is full' : (code ?? String(error));
  return new ActionError(`could not write the archive to ${dirname(path)}: ${what}. Nothing was kept.`, { cause: error });
}

interface Temporary {
  path: string;
  file: FileHandle;
  closed: boolean;
  moved: boolean;
}

/** A new temporary file beside the target (`wx`: never through an existing name or symlink). */
async function openTemporary(target: string): Promise<Temporary> {
  const path = temporaryPathFor(target);
  // Tracked before it exists: a forced exit right after the open must find it.
  trackTemporary(path);
  try {
    const file = await open(path, 'wx');
    return { path, file, closed: false, moved: false };
  } catch (error) {
    untrackTemporary(path);
    throw writeError(error, target);
  }
}

/** Closes the file once every write has landed; a failing close is a failing disk. */
async function closeFile(temp: Temporary): Promise<void> {
  temp.closed = true;
  try {
    await temp.file.close();
  } catch (error) {
    throw writeError(error, temp.path);
  }
}

/** Removes what is left of a temporary file (close waits for writes still in flight). */
async function discard(temp: Temporary): Promise<void> {
  if (!temp.closed) await temp.file.close().catch(() => undefined);
  // A failing removal must not replace the error that ended the download.
  if (!temp.moved) await rm(temp.path, { force: true }).catch(() => undefined);
  untrackTemporary(temp.path);
}

/** Replaces an existing file only now, after verification (rename is atomic in one directory). */
async function moveIntoPlace(temp: Temporary, target: string, log: Log): Promise<void> {
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isSymbolicLink()) log.info(`${target} is a symbolic link: the link itself is replaced by the archive; the file it points to is left as it is.`);
  else if (existing) log.info(`Replacing the existing file ${target} (${formatBytes(existing.size)}).`);
  try {
    await rename(temp.path, target);
    temp.moved = true;
  } catch (error) {
    throw new ActionError(`could not move the verified archive to ${target} (${(error as { code?: string }).code ?? String(error)}).`, { cause: error });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
