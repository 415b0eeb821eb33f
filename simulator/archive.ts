// Deterministic pseudo-random "archives". Content is a gzip header followed by an AES-128-CTR keystream
// derived from a seed (the backup uuid), so any byte range can be produced on demand: a 1 GiB archive is
// never held in memory, and its SHA-1 is computed by streaming (W server/backup/backup.go hashes the file).
import { createCipheriv, createHash } from 'node:crypto';
import type { Cipheriv } from 'node:crypto';
import { Readable } from 'node:stream';

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
const CHUNK = 256 * 1024;

function cipherAt(seed: string, offset: number): Cipheriv {
  const key = createHash('sha256').update(`pterodactyl-sim-archive:${seed}`).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const skip = offset % 16;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher;
}

/** Bytes [start, end) of the archive identified by `seed`. */
export function* archiveChunks(seed: string, start: number, end: number, chunkSize: number = CHUNK): Generator<Buffer> {
  let pos = start;
  if (pos < GZIP_HEADER.length && pos < end) {
    const stop = Math.min(GZIP_HEADER.length, end);
    yield Buffer.from(GZIP_HEADER.subarray(pos, stop));
    pos = stop;
  }
  if (pos >= end) return;
  const cipher = cipherAt(seed, pos - GZIP_HEADER.length);
  const zeros = Buffer.alloc(chunkSize);
  while (pos < end) {
    const n = Math.min(chunkSize, end - pos);
    yield cipher.update(n === chunkSize ? zeros : zeros.subarray(0, n));
    pos += n;
  }
}

export function archiveBytes(seed: string, start: number, end: number): Buffer {
  return Buffer.concat([...archiveChunks(seed, start, end)]);
}

export interface StreamOptions {
  /** Flip the byte at this absolute offset (same length). */
  corruptAt?: number;
}

export function archiveStream(seed: string, start: number, end: number, opts: StreamOptions = {}): Readable {
  const { corruptAt } = opts;
  let pos = start;
  function* gen(): Generator<Buffer> {
    for (const chunk of archiveChunks(seed, start, end)) {
      if (corruptAt !== undefined && corruptAt >= pos && corruptAt < pos + chunk.length) {
        const i = corruptAt - pos;
        chunk[i] = (chunk[i] ?? 0) ^ 0xff;
      }
      pos += chunk.length;
      yield chunk;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

const cache = new Map<string, string>();

/** Lowercase hex SHA-1 of the whole archive, computed synchronously in chunks. */
export function archiveSha1Sync(seed: string, size: number): string {
  const key = `${seed}:${size}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hash = createHash('sha1');
  for (const chunk of archiveChunks(seed, 0, size, 1024 * 1024)) hash.update(chunk);
  const hex = hash.digest('hex');
  cache.set(key, hex);
  return hex;
}

/** Same, yielding to the event loop between chunks so a 1 GiB archive does not block the servers. */
export async function archiveSha1(seed: string, size: number): Promise<string> {
  const key = `${seed}:${size}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hash = createHash('sha1');
  let n = 0;
  for (const chunk of archiveChunks(seed, 0, size, 1024 * 1024)) {
    hash.update(chunk);
    if (++n % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const hex = hash.digest('hex');
  cache.set(key, hex);
  return hex;
}
