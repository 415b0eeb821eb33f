import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ArchiveSink } from '../../src/download/archive-sink.js';
import { ArchiveHasher, parseChecksum } from '../../src/download/checksum.js';

/** A FileHandle stand-in: positional writev into memory, completing out of order, optionally short or failing. */
function fakeFile(options: { shortWrites?: boolean; failOnCall?: number } = {}) {
  const data = Buffer.alloc(4 * 1024 * 1024);
  let calls = 0;
  let maxInFlight = 0;
  let inFlight = 0;
  let end = 0;
  const file = {
    async writev(buffers: Buffer[], position: number) {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const call = calls;
      // Later writes may finish first.
      await new Promise((resolve) => setTimeout(resolve, (call * 7) % 5));
      inFlight--;
      if (call === options.failOnCall) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      let bytes = buffers.reduce((sum, b) => sum + b.length, 0);
      if (options.shortWrites && bytes > 1) bytes = Math.ceil(bytes / 2);
      let at = position;
      let left = bytes;
      for (const buffer of buffers) {
        const n = Math.min(left, buffer.length);
        buffer.copy(data, at, 0, n);
        at += n;
        left -= n;
        if (left === 0) break;
      }
      end = Math.max(end, position + bytes);
      return { bytesWritten: bytes, buffers };
    },
  };
  return {
    file: file as unknown as FileHandle,
    written: () => data.subarray(0, end),
    stats: () => ({ calls, maxInFlight }),
  };
}

function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i % 251));
}

const noProgress = { update: () => undefined };

describe('ArchiveSink', () => {
  it('writes every byte at its place although writes overlap and finish out of order', async () => {
    const input = chunks(40, 10_000);
    const whole = Buffer.concat(input);
    const fake = fakeFile();
    const sink = new ArchiveSink(fake.file, whole.length, new ArchiveHasher(parseChecksum(null)), noProgress);
    await pipeline(Readable.from(input), sink);
    expect(fake.written().equals(whole)).toBe(true);
    expect(sink.bytes).toBe(whole.length);
    expect(sink.digests().sha1).toBe(createHash('sha1').update(whole).digest('hex'));
    expect(fake.stats().maxInFlight).toBeGreaterThan(1);
    expect(fake.stats().maxInFlight).toBeLessThanOrEqual(4);
  });

  it('finishes short writes', async () => {
    const input = chunks(10, 3_333);
    const fake = fakeFile({ shortWrites: true });
    const sink = new ArchiveSink(fake.file, 33_330, new ArchiveHasher(parseChecksum(null)), noProgress);
    await pipeline(Readable.from(input), sink);
    expect(fake.written().equals(Buffer.concat(input))).toBe(true);
  });

  it('fails with the file system error, as a write error', async () => {
    const fake = fakeFile({ failOnCall: 3 });
    const sink = new ArchiveSink(fake.file, 1_000_000, new ArchiveHasher(parseChecksum(null)), noProgress);
    await expect(pipeline(Readable.from(chunks(50, 10_000)), sink)).rejects.toThrow(/ENOSPC/);
    expect((sink.writeError as { code?: string }).code).toBe('ENOSPC');
  });

  it('fails when the last writes fail after the body ended', async () => {
    const fake = fakeFile({ failOnCall: 2 });
    const sink = new ArchiveSink(fake.file, 20_000, new ArchiveHasher(parseChecksum(null)), noProgress);
    await expect(pipeline(Readable.from(chunks(2, 10_000)), sink)).rejects.toThrow(/ENOSPC/);
  });

  it('stops at the first byte beyond the expected size', async () => {
    const fake = fakeFile();
    const sink = new ArchiveSink(fake.file, 25_000, new ArchiveHasher(parseChecksum(null)), noProgress);
    await expect(pipeline(Readable.from(chunks(10, 10_000)), sink)).rejects.toThrow('the body is longer than the archive');
    expect(sink.overflow).toBe(true);
    expect(sink.writeError).toBeUndefined();
    expect(fake.written().length).toBeLessThanOrEqual(20_000);
  });

  it('reports progress with the running byte count', async () => {
    const seen: number[] = [];
    const sink = new ArchiveSink(fakeFile().file, 30_000, new ArchiveHasher(parseChecksum(null)), { update: (n) => seen.push(n) });
    await pipeline(Readable.from(chunks(3, 10_000)), sink);
    expect(seen.at(-1)).toBe(30_000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});
