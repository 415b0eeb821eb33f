// Small helpers shared by the Wings and S3 endpoints.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { archiveChunks } from './archive.ts';
import { statusText } from './format.ts';

/** Write a raw HTTP answer on a socket that was not upgraded, then close it. */
export function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  const all: Record<string, string> = { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
  let head = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
  for (const [k, v] of Object.entries(all)) head += `${k}: ${v}\r\n`;
  socket.end(`${head}\r\n${body}`);
}

async function writeChunk(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

export interface BodyOptions {
  /** Flip the byte at this absolute archive offset. */
  corruptAt?: number;
  /** Cut the connection after this many body bytes. */
  cutAfter?: number;
}

/** Stream archive bytes [start, end) to `res` (headers already written). */
export async function streamArchive(res: ServerResponse, seed: string, start: number, end: number, opts: BodyOptions = {}): Promise<void> {
  let pos = start;
  let sent = 0;
  for (const chunk of archiveChunks(seed, start, end)) {
    if (opts.corruptAt !== undefined && opts.corruptAt >= pos && opts.corruptAt < pos + chunk.length) {
      const i = opts.corruptAt - pos;
      chunk[i] = (chunk[i] ?? 0) ^ 0xff;
    }
    pos += chunk.length;
    if (opts.cutAfter !== undefined && sent + chunk.length >= opts.cutAfter) {
      const part = chunk.subarray(0, Math.max(0, opts.cutAfter - sent));
      res.write(part, () => res.socket?.destroy());
      if (part.length === 0) res.socket?.destroy();
      return;
    }
    sent += chunk.length;
    if (!(await writeChunk(res, chunk))) return;
  }
  res.end();
}
