import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ArchiveHasher, actualFor, parseChecksum } from '../../src/download/checksum.js';
import { readRefusal, scrub } from '../../src/download/daemon-answer.js';
import { ensureFreeSpace } from '../../src/download/disk-space.js';
import { createProgress, formatRate } from '../../src/download/progress.js';
import { ActionError } from '../../src/errors.js';
import { recordingLog } from '../support/recording-log.ts';


const MiB = 1024 * 1024;

describe('parseChecksum', () => {
  it('reads sha1 and the legacy sha256, in any case', () => {
    expect(parseChecksum(`sha1:${'A'.repeat(40)}`)).toEqual({ kind: 'digest', algorithm: 'sha1', hex: 'a'.repeat(40) });
    expect(parseChecksum(`sha256:${'0'.repeat(64)}`)).toEqual({ kind: 'digest', algorithm: 'sha256', hex: '0'.repeat(64) });
  });
  it('treats null and empty as none, and anything else as unknown', () => {
    expect(parseChecksum(null)).toEqual({ kind: 'none' });
    expect(parseChecksum('')).toEqual({ kind: 'none' });
    for (const value of ['md5:abc', `sha1:${'a'.repeat(39)}`, `sha256:${'a'.repeat(40)}`, 'a'.repeat(40), `sha1:${'g'.repeat(40)}`]) {
      expect(parseChecksum(value)).toEqual({ kind: 'unknown', value });
    }
  });
});

describe('ArchiveHasher', () => {
  it('computes SHA-1 always and SHA-256 only for a legacy checksum', () => {
    const data = Buffer.from('archive bytes');
    const sha1 = createHash('sha1').update(data).digest('hex');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const plain = new ArchiveHasher(parseChecksum(`sha1:${sha1}`));
    plain.update(data.subarray(0, 3));
    plain.update(data.subarray(3));
    expect(plain.digest()).toEqual({ sha1, sha256: undefined });
    const legacy = new ArchiveHasher(parseChecksum(`sha256:${sha256}`));
    legacy.update(data);
    const digests = legacy.digest();
    expect(digests).toEqual({ sha1, sha256 });
    expect(actualFor(parseChecksum(`sha256:${sha256}`), digests)).toBe(sha256);
    expect(actualFor(parseChecksum(null), digests)).toBeUndefined();
  });
});

describe('ensureFreeSpace', () => {
  it('refuses with the numbers in human units and in bytes', async () => {
    const log = recordingLog();
    const statfs = async () => ({ bavail: 256, bsize: 4096 });
    const error = await ensureFreeSpace('/data', 3 * MiB, log, statfs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toBe(
      'not enough free disk space in /data: the archive needs 3.0 MiB (3145728 bytes) but only 1.0 MiB (1048576 bytes) is free. ' +
        'Free some space on the runner or choose another download-path.',
    );
  });
  it('passes when the space is there, and skips the check when statfs cannot tell', async () => {
    const log = recordingLog();
    await ensureFreeSpace('/data', MiB, log, async () => ({ bavail: 256, bsize: 4096 }));
    await ensureFreeSpace('/data', MiB, log, async () => {
      throw Object.assign(new Error('no'), { code: 'ENOSYS' });
    });
    expect(log.lines.at(-1)).toBe('debug: Free disk space in /data is unknown (ENOSYS); not checked.');
  });
  it('uses the real statfs by default', async () => {
    await expect(ensureFreeSpace(tmpdir(), Number.MAX_SAFE_INTEGER, recordingLog())).rejects.toThrow(/not enough free disk space/);
    await ensureFreeSpace(tmpdir(), 1, recordingLog());
  });
});

describe('createProgress', () => {
  it('logs every 10 % with bytes, percentage, speed and time left, and leaves 100 % to the caller', () => {
    const log = recordingLog();
    let clock = 0;
    const progress = createProgress({ total: 100 * MiB, log, now: () => clock });
    for (let mib = 1; mib <= 100; mib++) {
      clock += 100; // 10 MiB/s
      progress.update(mib * MiB);
    }
    expect(log.lines).toHaveLength(9);
    expect(log.lines[0]).toBe('info: Downloaded 10.0 MiB of 100.0 MiB (10%) at 10.0 MiB/s, about 9s left.');
    expect(log.lines[8]).toBe('info: Downloaded 90.0 MiB of 100.0 MiB (90%) at 10.0 MiB/s, about 1s left.');
  });

  it('logs after 15 s without a line, whichever comes first', () => {
    const log = recordingLog();
    let clock = 0;
    const progress = createProgress({ total: 1000 * MiB, log, now: () => clock });
    for (let mib = 1; mib <= 40; mib++) {
      clock += 1_000; // 1 MiB/s: 10 % would take 100 s
      progress.update(mib * MiB);
    }
    expect(log.lines).toEqual([
      'info: Downloaded 15.0 MiB of 1000.0 MiB (1%) at 1.0 MiB/s, about 16m 25s left.',
      'info: Downloaded 30.0 MiB of 1000.0 MiB (3%) at 1.0 MiB/s, about 16m 10s left.',
    ]);
  });

  it('one big chunk crossing several marks gives one line', () => {
    const log = recordingLog();
    let clock = 0;
    const progress = createProgress({ total: 100, log, now: () => clock });
    clock = 1_000;
    progress.update(35);
    clock = 2_000;
    progress.update(39);
    clock = 3_000;
    progress.update(40);
    expect(log.lines).toEqual([
      'info: Downloaded 35 B of 100 B (35%) at 35 B/s, about 2s left.',
      'info: Downloaded 40 B of 100 B (40%) at 3 B/s, about 24s left.',
    ]);
  });

  it('without a known total, logs bytes and speed by time only', () => {
    const log = recordingLog();
    let clock = 0;
    const progress = createProgress({ total: 0, log, now: () => clock, intervalMs: 1_000 });
    clock = 2_000;
    progress.update(4 * MiB);
    expect(log.lines).toEqual(['info: Downloaded 4.0 MiB at 2.0 MiB/s.']);
  });

  it('formats rates', () => {
    expect(formatRate(1536)).toBe('1.5 KiB/s');
    expect(formatRate(12.4)).toBe('12 B/s');
  });
});

describe('daemon answers', () => {
  const url = new URL('https://node.example.com:8080/download/backup?token=eyJhbGciOiJIUzI1NiJ9.eyJ1bmlxdWVfaWQiOiJ4In0.c2lnbmF0dXJl');
  const token = url.searchParams.get('token')!;

  it('scrubs the URL, its token, anything shaped like a JWT and control characters', () => {
    const text = `bad ${url.href} or ${token} or eyJabc.eyJdef.ghi\n::add-mask::x`;
    const cleaned = scrub(text, url);
    expect(cleaned).not.toContain(token);
    expect(cleaned).not.toContain('eyJ');
    expect(cleaned).not.toContain('\n');
    expect(cleaned).toBe('bad *** or *** or *** ::add-mask::x');
    expect(scrub('x'.repeat(500), url)).toHaveLength(201);
  });

  it("explains Wings' JSON errors", async () => {
    const body = (value: unknown) => Readable.from([Buffer.from(JSON.stringify(value))]);
    const missing = await readRefusal(404, body({ error: 'The requested backup was not found on this server.' }), url);
    expect(missing).toMatchObject({ permanent: true, reason: 'https://node.example.com:8080 answered 404: "The requested backup was not found on this server."' });
    const reused = await readRefusal(404, body({ error: 'The requested resource was not found on this server.' }), url);
    expect(reused.permanent).toBe(false);
    expect(reused.hint).toMatch(/accepts each signed URL once/);
    const expired = await readRefusal(500, body({ error: 'An unexpected error was encountered while processing this request', request_id: 'r' }), url);
    expect(expired.hint).toMatch(/clocks/);
  });

  it("shows only S3's error code, never the rest of its XML (it can echo the signed request)", async () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>' +
      '<StringToSign>AWS4-HMAC-SHA256 secret-ish</StringToSign><CanonicalRequest>GET /b/k X-Amz-Signature=abcd</CanonicalRequest></Error>';
    const refusal = await readRefusal(403, Readable.from([Buffer.from(xml)]), url);
    expect(refusal.reason).toBe('https://node.example.com:8080 answered 403: "SignatureDoesNotMatch"');
    const expired = await readRefusal(403, Readable.from([Buffer.from('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>')]), url);
    expect(expired.hint).toMatch(/5 minutes/);
  });

  it('reads only the start of a large error body', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x61));
      },
    });
    const refusal = await readRefusal(502, endless, url);
    expect(refusal.reason).toBe('https://node.example.com:8080 answered 502');
    expect(produced).toBeLessThan(1024 * 1024);
    expect(endless.destroyed).toBe(true);
  });
});
