import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { ArchiveHasher, Digests } from './checksum.js';
import type { Progress } from './progress.js';

/**
 * Measured on loopback (bench/README.md): one write at a time leaves the process waiting for the
 * disk most of the time. Up to four positional writes in flight with 64 KiB buffers went as fast
 * as 1 MiB buffers did, at about 20 MiB less peak RSS (received chunks live until the next
 * garbage collection, so every buffered byte counts more than once).
 */
const HIGH_WATER_MARK = 64 * 1024;
const MAX_IN_FLIGHT = 4;

type Callback = (error?: Error | null) => void;

/**
 * The end of the download pipeline: counts the bytes, hashes them and writes them to the open
 * temporary file in one pass. Hashing is synchronous, so there is no await per chunk; the only
 * backpressure is the number of writes in flight. More bytes than expected stop the transfer, so
 * the disk never takes more than the free-space check allowed for.
 */
export class ArchiveSink extends Writable {
  /** Bytes received (and hashed) so far. */
  bytes = 0;
  /** Set when the body was longer than `expectedBytes`. */
  overflow = false;
  /** The file system's error, when writing failed (the disk, not the network). */
  writeError: unknown = undefined;
  private readonly file: FileHandle;
  private readonly expectedBytes: number;
  private readonly hasher: ArchiveHasher;
  private readonly progress: Pick<Progress, 'update'>;
  private inFlight = 0;
  private waiting: Callback | undefined;
  private drained: Callback | undefined;

  constructor(file: FileHandle, expectedBytes: number, hasher: ArchiveHasher, progress: Pick<Progress, 'update'>) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.file = file;
    this.expectedBytes = expectedBytes;
    this.hasher = hasher;
    this.progress = progress;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.take([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: Callback): void {
    this.take(
      chunks.map((entry) => entry.chunk),
      callback,
    );
  }

  /** Ends only when every write has landed. */
  override _final(callback: Callback): void {
    if (this.inFlight === 0) callback(this.failure());
    else this.drained = callback;
  }

  /** The digests of everything received; call once, after the end. */
  digests(): Digests {
    return this.hasher.digest();
  }

  private take(buffers: Buffer[], callback: Callback): void {
    const failed = this.failure();
    if (failed) return callback(failed);
    // Each write has its own range of the file, so they may complete in any order.
    const position = this.bytes;
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
    this.inFlight++;
    writeAll(this.file, buffers, position).then(
      () => this.settle(),
      (error: unknown) => {
        this.writeError ??= error;
        this.settle();
      },
    );
    if (this.inFlight < MAX_IN_FLIGHT) callback();
    else this.waiting = callback;
  }

  private settle(): void {
    this.inFlight--;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(this.failure());
    if (this.inFlight === 0 && this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained(this.failure());
    }
  }

  private failure(): Error | null {
    if (this.writeError === undefined) return null;
    return this.writeError instanceof Error ? this.writeError : new Error(String(this.writeError));
  }
}

/** `writev` at `position` until every byte is written (a short write is legal, if rare). */
async function writeAll(file: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending, at);
    if (bytesWritten === 0) throw new Error('the file system wrote nothing');
    at += bytesWritten;
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
    pending = rest;
  }
}
