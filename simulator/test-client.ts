// Test helpers for code that talks to the simulator: panel calls and a websocket client with a message
// queue. Used by test/simulator*.test.ts; not used by the simulator itself.
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import type { Simulator } from './index.ts';

export interface ApiOptions {
  /** API key; null sends no Authorization header. Default: the owner's key. */
  key?: string | null;
  body?: unknown;
  /** A raw body sent with Content-Type: application/json. */
  raw?: string;
  /** Accept header; null sends none. Default application/json. */
  accept?: string | null;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function api(sim: Simulator, method: string, path: string, opts: ApiOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (opts.accept !== null) headers['accept'] = opts.accept ?? 'application/json';
  const key = opts.key === undefined ? sim.apiKey : opts.key;
  if (key) headers['authorization'] = `Bearer ${key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, opts.headers ?? {});
  const res = await fetch(`${sim.panelUrl}/api/client${path}`, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `fn` returns a truthy value (or fail after `timeoutMs`). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

export interface Frame {
  event: string;
  args?: string[];
}

export interface WsClient {
  ws: WebSocket;
  frames: Frame[];
  send(event: string, args?: string[]): void;
  /** The next frame (after those already taken) matching `pred`. */
  next(pred?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

export function connectWs(url: string, origin: string | undefined): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    const frames: Frame[] = [];
    let cursor = 0;
    const waiters: Array<() => void> = [];
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as Frame);
      for (const w of waiters.splice(0)) w();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode, body })));
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        send: (event, args) => ws.send(JSON.stringify(args ? { event, args } : { event })),
        next(pred = () => true, timeoutMs = 3000) {
          return new Promise<Frame>((res2, rej2) => {
            const timer = setTimeout(() => rej2(new Error(`no matching frame; got ${JSON.stringify(frames.slice(cursor))}`)), timeoutMs);
            const check = (): void => {
              while (cursor < frames.length) {
                const f = frames[cursor++] as Frame;
                if (pred(f)) {
                  clearTimeout(timer);
                  res2(f);
                  return;
                }
              }
              waiters.push(check);
            };
            check();
          });
        },
        close: () =>
          new Promise<void>((res2) => {
            if (ws.readyState === ws.CLOSED) return res2();
            ws.once('close', () => res2());
            ws.close();
          }),
      }),
    );
  });
}

/** Fetch a websocket token through the panel and open an authenticated socket. */
export async function authedWs(sim: Simulator, serverId: string, key: string = sim.apiKey): Promise<WsClient> {
  const t = await api(sim, 'GET', `/servers/${serverId}/websocket`, { key });
  if (t.status !== 200) throw new Error(`token: ${t.status} ${t.text}`);
  const client = await connectWs(t.json.data.socket, sim.panelUrl);
  client.send('auth', [t.json.data.token]);
  await client.next((f) => f.event === 'auth success');
  return client;
}
