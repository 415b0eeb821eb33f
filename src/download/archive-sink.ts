import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { ArchiveHasher, Digests } from './checksum.js';
import type { Progress } from './progress.js';

/**
 * Small on purpose: the speed comes from the socket and the disk, and each buffered chunk stays
 * in memory until the next garbage collection. Measured on loopback (bench/README.md): 1–4 MiB
 * buffers were no faster and raised the peak RSS by about 30 MiB.
 */
const HIGH_WATER_MARK = 128 * 1024;

/**
 * The end of the download pipeline: counts the bytes, hashes them and writes them to the open
 * temporary file in one pass, with one `writev` per batch of chunks (no per-chunk await beyond
 * the write itself, which is the backpressure). More bytes than expected stop the transfer, so
 * the disk never takes more than the free-space check allowed for.
 */
export class ArchiveSink extends Writable {
  bytes = 0;
  /** Set when the body was longer than `expectedBytes`. */
  overflow = false;
  /** The file system's error, when writing failed (the disk, not the network). */
  writeError: unknown = undefined;
  private readonly file: FileHandle;
  private readonly expectedBytes: number;
  private readonly hasher: ArchiveHasher;
  private readonly progress: Progress;

  constructor(file: FileHandle, expectedBytes: number, hasher: ArchiveHasher, progress: Progress) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.file = file;
    this.expectedBytes = expectedBytes;
    this.hasher = hasher;
    this.progress = progress;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.take(
      chunks.map((entry) => entry.chunk),
      callback,
    );
  }

  /** The digests of everything written; call once, after the end. */
  digests(): Digests {
    return this.hasher.digest();
  }

  private take(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    for (const buffer of buffers) {
      this.bytes += buffer.length;
      if (this.bytes > this.expectedBytes) {
        this.overflow = true;
        callback(new Error('the body is longer than the archive'));
        return;
      }
      this.hasher.update(buffer);
    }
    this.progress.update(this.bytes);
    writeAll(this.file, buffers).then(
      () => callback(),
      (error: unknown) => {
        this.writeError = error;
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}

/** `writev` until every byte is written (a short write is legal, if rare, on a regular file). */
async function writeAll(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    if (rest.length === pending.length && bytesWritten === 0) throw new Error('the file system wrote nothing');
    pending = rest;
  }
}
