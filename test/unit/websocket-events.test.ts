import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket as ServerSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { getGlobalDispatcher } from 'undici';
import { BackupEvents, WebsocketUnavailableError } from '../../src/wait/websocket/backup-events.js';
import { openOnSocket } from '../../src/wait/websocket/socket-access.js';
import type { ServerInfo } from '../../src/panel/types.js';
import type { BackupEventsOptions, BackupEventsTiming } from '../../src/wait/websocket/backup-events.js';
import { PanelError } from '../../src/panel/errors.js';
import { until } from '../support/wait-until.ts';

const SERVER_UUID = '8d9c0b4e-1f2a-4b3c-9d8e-7f6a5b4c3d2e';
const BACKUP = '3f1c2a9e-5b7d-4c1e-9a2b-0123456789ab';
const OTHER = '00000000-5b7d-4c1e-9a2b-0123456789ab';
const PANEL = 'https://panel.example.com';
const TIMING: Partial<BackupEventsTiming> = {
  openTimeoutMs: 2_000,
  authTimeoutMs: 1_000,
  reconnectDelayMs: 10,
  maxReconnectDelayMs: 40,
  throttleBackoffMs: 100,
  closeGraceMs: 500,
  staleErrorGraceMs: 100,
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function token(n: number, claims: Record<string, unknown> = { iss: PANEL, permissions: ['*'] }): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ ...claims, unique_id: `u${n}`, exp: Math.floor(Date.now() / 1000) + 600 })}.sig${n}`;
}
const completedPayload = (uuid: string, ok = true) =>
  JSON.stringify({ checksum: ok ? 'ab'.repeat(20) : '', checksum_type: 'sha1', file_size: ok ? 4096 : 0, is_successful: ok, uuid });
const frame = (event: string, args?: string[]) => JSON.stringify(args ? { event, args } : { event });

interface Conn {
  socket: ServerSocket;
  origin: string | undefined;
  auths: string[];
  closed?: { code: number; reason: string };
}

/** A scripted Wings: Origin check (403), connection cap (400), auth with `jwt error`s. */
class FakeDaemon {
  readonly wss: WebSocketServer;
  readonly conns: Conn[] = [];
  /** What a connection attempt gets before the upgrade. */
  upgrade: (req: IncomingMessage) => { status: number; body: string } | undefined;
  /** Answer to each `auth`: a frame to send, or nothing. */
  onAuth: (token: string, conn: Conn) => string | undefined = () => frame('auth success');
  maxConnections = Infinity;
  expectedOrigin = PANEL;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    this.upgrade = (req) => (req.headers.origin === this.expectedOrigin ? undefined : { status: 403, body: 'Forbidden' });
  }

  static async start(): Promise<FakeDaemon> {
    let daemon!: FakeDaemon;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (info, done) => {
        const refusal = daemon.upgrade(info.req);
        if (refusal) return done(false, refusal.status, refusal.body);
        if (daemon.open().length >= daemon.maxConnections) return done(false, 400, '{"error":"Too many open websocket connections."}');
        done(true);
      },
    });
    daemon = new FakeDaemon(wss);
    wss.on('connection', (socket, req) => {
      const conn: Conn = { socket, origin: req.headers.origin, auths: [] };
      daemon.conns.push(conn);
      socket.on('message', (data) => {
        let parsed: { event?: string; args?: string[] };
        try {
          parsed = JSON.parse(String(data)) as typeof parsed;
        } catch {
          return;
        }
        if (parsed.event !== 'auth') return;
        const tok = (parsed.args ?? []).join('');
        conn.auths.push(tok);
        const answer = daemon.onAuth(tok, conn);
        if (answer) socket.send(answer);
      });
      socket.on('close', (code, reason) => {
        conn.closed = { code, reason: String(reason) };
      });
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return daemon;
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  socketUrl(scheme = 'ws'): string {
    return `${scheme}://127.0.0.1:${this.port}/api/servers/${SERVER_UUID}/ws`;
  }

  open(): Conn[] {
    return this.conns.filter((c) => !c.closed);
  }

  last(): Conn {
    const conn = this.conns.at(-1);
    if (!conn) throw new Error('no connection');
    return conn;
  }

  send(text: string, conn = this.last()): void {
    conn.socket.send(text);
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

let daemon: FakeDaemon;
let logs: string[];
let tokens: string[];
let credentialCalls: number;
let events: BackupEvents | undefined;

function options(overrides: Partial<BackupEventsOptions> = {}): BackupEventsOptions {
  const line = (level: string) => (message: string) => void logs.push(`${level}: ${message}`);
  return {
    credentials: async () => {
      credentialCalls++;
      const tok = token(credentialCalls);
      tokens.push(tok);
      return { token: tok, socket: daemon.socketUrl() };
    },
    panelUrl: new URL(PANEL),
    allowInsecureHttp: true,
    signal: new AbortController().signal,
    log: { info: line('info'), warning: line('warning'), notice: line('notice'), debug: line('debug') },
    maxReconnects: 3,
    timing: TIMING,
    ...overrides,
  };
}

async function open(overrides: Partial<BackupEventsOptions> = {}): Promise<BackupEvents> {
  events = await BackupEvents.open(options(overrides));
  return events;
}

async function openError(overrides: Partial<BackupEventsOptions> = {}): Promise<WebsocketUnavailableError> {
  const error = await BackupEvents.open(options(overrides)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebsocketUnavailableError);
  return error as WebsocketUnavailableError;
}

beforeEach(async () => {
  daemon = await FakeDaemon.start();
  logs = [];
  tokens = [];
  credentialCalls = 0;
  events = undefined;
});

afterEach(async () => {
  events?.close();
  await daemon.stop();
  // No message ever carries a token.
  for (const tok of tokens) for (const line of logs) expect(line).not.toContain(tok);
});

describe('BackupEvents.open', () => {
  it("sends the token's iss as Origin, authenticates, and resolves only after auth success", async () => {
    let answered = false;
    daemon.onAuth = (_tok, conn) => {
      setTimeout(() => {
        answered = true;
        conn.socket.send(frame('auth success'));
      }, 50);
      return undefined;
    };
    await open({ panelUrl: new URL('https://elsewhere.example.com/') });
    expect(answered).toBe(true);
    expect(daemon.last().origin).toBe(PANEL);
    expect(daemon.last().auths).toEqual([tokens[0]]);
  });

  it('falls back to the panel URL as given (prefix kept, no trailing slash) when the token has no iss', async () => {
    daemon.expectedOrigin = 'https://panel.example.com/panel';
    await open({
      panelUrl: new URL('https://panel.example.com/panel/'),
      credentials: async () => ({ token: token(1, { permissions: ['*'] }), socket: daemon.socketUrl() }),
    });
    expect(daemon.last().origin).toBe('https://panel.example.com/panel');
  });

  it('refuses ws:// without allowInsecureHttp before connecting', async () => {
    const error = await openError({ allowInsecureHttp: false });
    expect(error.reason).toBe('insecure');
    expect(error.message).toContain('allow-insecure-http');
    expect(daemon.conns).toHaveLength(0);
  });

  it('reports a failed Origin check (403) as rejected, naming the Origin sent', async () => {
    daemon.expectedOrigin = 'https://not-this-one.example.com';
    const error = await openError();
    expect(error.reason).toBe('rejected');
    expect(error.message).toContain('403 Forbidden');
    expect(error.message).toContain(`'${PANEL}' (the token's iss claim)`);
    // Only one Origin was tried: none is said to have been refused before it.
    expect(error.message).not.toContain('refused before it');
  });

  it('tries no other Origin when the daemon refuses the upgrade for another reason than the Origin', async () => {
    const origins: Array<string | undefined> = [];
    daemon.upgrade = (req) => {
      origins.push(req.headers.origin);
      return { status: 404, body: '{"error":"The requested resource does not exist on this instance."}' };
    };
    const error = await openError({ panelUrl: new URL('https://elsewhere.example.com/') });
    expect(error.reason).toBe('refused');
    expect(error.message).not.toContain('refused before it');
    expect(origins).toEqual([PANEL]);
  });

  it('reports a connection dropped before auth was answered as refused, without reconnecting', async () => {
    daemon.onAuth = (_tok, conn) => {
      conn.socket.terminate();
      return undefined;
    };
    const error = await openError({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    expect(error.reason).toBe('refused');
    expect(error.message).toMatch(/ before auth was answered\.$/);
    expect(logs.filter((l) => l.includes('reconnecting'))).toEqual([]);
    expect(credentialCalls).toBe(1);
  });

  it('takes an http(s) socket address as ws(s), refuses any other scheme, and asks for the proxy of the http form', async () => {
    const asked: string[] = [];
    const dispatcherFor = (url: URL) => {
      asked.push(url.href);
      return getGlobalDispatcher();
    };
    await open({ credentials: async () => ({ token: token(1), socket: daemon.socketUrl('http') }), dispatcherFor });
    expect(daemon.conns).toHaveLength(1);
    expect(asked).toEqual([daemon.socketUrl('http')]);
    events?.close();
    const error = await openError({ credentials: async () => ({ token: token(2), socket: daemon.socketUrl('ftp') }) });
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('ftp:');
    expect(daemon.conns).toHaveLength(1);
  });

  it('rejects with the reason, not as an unusable socket, when aborted while the credentials are fetched', async () => {
    const controller = new AbortController();
    const opening = BackupEvents.open(
      options({
        signal: controller.signal,
        credentials: () => {
          credentialCalls++;
          return new Promise(() => {});
        },
      }),
    );
    await until(() => credentialCalls === 1, 'the credentials request');
    controller.abort(new Error('cancelled by SIGINT'));
    const error = await opening.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(WebsocketUnavailableError);
    expect((error as Error).message).toBe('cancelled by SIGINT');
  });

  it("tries the panel URL as Origin when the daemon refuses the token's iss", async () => {
    daemon.expectedOrigin = 'https://elsewhere.example.com';
    await open({ panelUrl: new URL('https://elsewhere.example.com/') });
    expect(daemon.conns).toHaveLength(1);
    expect(daemon.last().origin).toBe('https://elsewhere.example.com');
    expect(daemon.last().auths).toEqual([tokens[0]]);
    expect(credentialCalls).toBe(1);
  });

  it('names both Origins when the daemon refuses them both', async () => {
    daemon.expectedOrigin = 'https://not-this-one.example.com';
    const error = await openError({ panelUrl: new URL('https://elsewhere.example.com/') });
    expect(error.reason).toBe('rejected');
    expect(error.message).toContain("the Origin sent was 'https://elsewhere.example.com' (panel-url)");
    expect(error.message).toContain(`The Origin '${PANEL}' (the token's iss claim) was refused before it.`);
  });

  it("reports the daemon's connection cap (400) as refused, with the daemon's text", async () => {
    daemon.maxConnections = 0;
    const error = await openError();
    expect(error.reason).toBe('refused');
    expect(error.message).toContain('400 Bad Request ("Too many open websocket connections.")');
  });

  it('reports a 404 (server not on this node) as refused', async () => {
    daemon.upgrade = () => ({ status: 404, body: '{"error":"The requested resource does not exist on this instance."}' });
    const error = await openError();
    expect(error.reason).toBe('refused');
    expect(error.message).toContain('404');
    expect(error.message).toContain('not on this node');
  });

  it('reports a refused connection as refused', async () => {
    const port = daemon.port;
    await daemon.stop();
    const error = await openError({ credentials: async () => ({ token: token(1), socket: `ws://127.0.0.1:${port}/api/servers/${SERVER_UUID}/ws` }) });
    expect(error.reason).toBe('refused');
    expect(error.message).toContain('ECONNREFUSED');
    daemon = await FakeDaemon.start();
  });

  it('maps the panel answering 403 and 409 for the credentials', async () => {
    const label = { method: 'GET', path: '/servers/8d9c0b4e/websocket', permission: 'websocket.connect' };
    const denied = await openError({
      credentials: async () => {
        throw new PanelError(403, 'AuthorizationException', ["You do not have permission to connect to this server's websocket."], label, {});
      },
    });
    expect(denied.reason).toBe('no-permission');
    const conflict = await openError({
      credentials: async () => {
        throw new PanelError(409, 'ServerStateConflictException', ['This server is currently restoring a backup.'], label, {});
      },
    });
    expect(conflict.reason).toBe('state-conflict');
    const broken = await openError({ credentials: async () => Promise.reject(new Error('socket hang up')) });
    expect(broken.reason).toBe('failed');
  });

  it('refuses a token without backup.read (the daemon would send no backup events)', async () => {
    const error = await openError({ credentials: async () => ({ token: token(1, { iss: PANEL, permissions: ['websocket.connect'] }), socket: daemon.socketUrl() }) });
    expect(error.reason).toBe('no-permission');
    expect(daemon.conns).toHaveLength(0);
  });

  it('reports a jwt error in answer to auth as rejected, and closes the socket', async () => {
    daemon.onAuth = () => frame('jwt error', ['jwt: server uuid mismatch']);
    const error = await openError();
    expect(error.reason).toBe('rejected');
    expect(error.message).toContain('jwt: server uuid mismatch');
    await until(() => daemon.last().closed !== undefined, 'the close');
  });

  it('reports a daemon error in answer to auth (a token that does not verify) as rejected at once', async () => {
    const generic = 'Error Event [0f1e2d3c-4b5a-4678-9abc-def012345678]: an unexpected error was encountered while handling this request';
    daemon.onAuth = () => frame('daemon error', [generic]);
    const started = Date.now();
    // A long auth timeout: waiting it out (reason 'failed') can't be mistaken for a prompt refusal.
    const error = await openError({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    expect(error.reason).toBe('rejected');
    expect(error.message).toBe(`the daemon refused the websocket token: ${generic}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    await until(() => daemon.last().closed !== undefined, 'the close');
  });

  it('waits out a throttled auth and sends it again', async () => {
    const at: number[] = [];
    daemon.onAuth = () => {
      at.push(Date.now());
      return at.length === 1 ? frame('throttled', ['auth']) : frame('auth success');
    };
    const ev = await open();
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90);
    expect(await ev.next(20)).toEqual({ type: 'timeout' });
  });

  it('gives up when auth is never answered', async () => {
    daemon.onAuth = () => undefined;
    const error = await openError({ timing: { ...TIMING, authTimeoutMs: 50 } });
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('did not answer auth');
  });

  it('stops promptly when aborted while waiting for auth', async () => {
    daemon.onAuth = () => undefined;
    const controller = new AbortController();
    const opening = BackupEvents.open(options({ signal: controller.signal, timing: { ...TIMING, authTimeoutMs: 60_000 } }));
    await until(() => daemon.conns.length === 1 && daemon.last().auths.length === 1, 'the auth');
    const started = Date.now();
    controller.abort(new Error('cancelled by SIGTERM'));
    await expect(opening).rejects.toThrow('cancelled by SIGTERM');
    // Far below the 60 s auth timeout, far above a busy machine's scheduling delays.
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => daemon.last().closed !== undefined, 'the close');
  });

  it('rejects at once with the reason of an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(BackupEvents.open(options({ signal: controller.signal }))).rejects.toThrow('cancelled');
    expect(credentialCalls).toBe(0);
  });
});

describe('backup events', () => {
  it('buffers completions seen before the caller asks, and delivers later ones as they come', async () => {
    daemon.onAuth = (_tok, conn) => {
      setImmediate(() => conn.socket.send(frame('backup completed', [completedPayload(OTHER, false)])));
      return frame('auth success');
    };
    const ev = await open();
    await until(() => ev.completed(OTHER) !== undefined, 'the early completion');
    expect(ev.completed(OTHER)).toMatchObject({ uuid: OTHER, isSuccessful: false, checksum: '', fileSize: 0 });
    expect(await ev.next(1_000)).toMatchObject({ type: 'completed', event: { uuid: OTHER } });

    const waiting = ev.next(2_000);
    daemon.send(frame('status', ['running']));
    daemon.send(frame('stats', [JSON.stringify({ memory_bytes: 1 })]));
    daemon.send(frame('console output', ['[Server] Saving chunks']));
    daemon.send('this is not json');
    daemon.send(frame('backup restore completed', ['']));
    daemon.send(frame('backup completed', [completedPayload(BACKUP)]));
    const signal = await waiting;
    expect(signal).toEqual({
      type: 'completed',
      event: { uuid: BACKUP, isSuccessful: true, checksum: 'ab'.repeat(20), checksumType: 'sha1', fileSize: 4096, receivedAt: expect.any(Number) },
    });
    expect(ev.completed(BACKUP)).toEqual((signal as { event: unknown }).event);
    expect(ev.completed('ffffffff-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it("recognises the legacy 'backup completed:<uuid>' name and uses the payload's uuid", async () => {
    const ev = await open();
    const waiting = ev.next(2_000);
    daemon.send(frame(`backup completed:${BACKUP}`, [completedPayload(BACKUP)]));
    expect(await waiting).toMatchObject({ type: 'completed', event: { uuid: BACKUP, isSuccessful: true } });
  });

  it('times out when nothing relevant arrives', async () => {
    const ev = await open();
    daemon.send(frame('stats', ['{}']));
    expect(await ev.next(30)).toEqual({ type: 'timeout' });
  });
});

describe('keeping the token fresh', () => {
  it("re-authenticates on 'token expiring' with new credentials on the same connection", async () => {
    const ev = await open();
    daemon.send(frame('token expiring'));
    daemon.send(frame('token expiring'));
    await until(() => daemon.last().auths.length === 2, 'the second auth');
    expect(daemon.conns).toHaveLength(1);
    expect(daemon.last().auths).toEqual([tokens[0], tokens[1]]);
    expect(credentialCalls).toBe(2);
    // Renewing before expiry loses nothing: no gap.
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
  });

  it.each([
    // While expired every event turns into this error (stats once a second).
    ['an expiry jwt error', [frame('jwt error', ['jwt: exp claim is invalid']), frame('jwt error', ['jwt: exp claim is invalid'])]],
    ["'token expired'", [frame('token expired')]],
  ])('re-authenticates after %s on the same connection and reports a gap', async (_what, frames) => {
    const ev = await open();
    const waiting = ev.next(2_000);
    for (const sent of frames) daemon.send(sent);
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'gap' });
    expect((signal as { why: string }).why).toContain('expired');
    await until(() => daemon.last().auths.length === 2, 'the renewed auth');
    expect(daemon.conns).toHaveLength(1);
    expect(daemon.last().auths).toEqual([tokens[0], tokens[1]]);
  });

  it('reports a gap at once on an expiry jwt error, while the renewal is still under way, and again once renewed', async () => {
    const gate = { release: () => {} };
    const ev = await open({
      credentials: async () => {
        credentialCalls++;
        // The renewal's credentials hang until released: a slow panel.
        if (credentialCalls > 1) await new Promise<void>((resolve) => (gate.release = resolve));
        const tok = token(credentialCalls);
        tokens.push(tok);
        return { token: tok, socket: daemon.socketUrl() };
      },
    });
    const waiting = ev.next(800);
    daemon.send(frame('jwt error', ['jwt: exp claim is invalid']));
    daemon.send(frame('jwt error', ['jwt: exp claim is invalid']));
    const first = await waiting;
    expect(first).toMatchObject({ type: 'gap' });
    expect((first as { why: string }).why).toContain('expired');
    expect(daemon.last().auths).toHaveLength(1);
    // One gap per expiry, not one per dropped event.
    expect(await ev.next(100)).toEqual({ type: 'timeout' });
    gate.release();
    // Events dropped between the first REST read and the renewal are missed too.
    expect(await ev.next(2_000)).toMatchObject({ type: 'gap' });
    expect(daemon.last().auths).toEqual([tokens[0], tokens[1]]);
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
  });

  it('fails a renewal auth answered with an expiry jwt error at once and tries another fresh token', async () => {
    daemon.onAuth = (_tok, conn) => (conn.auths.length === 2 ? frame('jwt error', ['jwt: exp claim is invalid']) : frame('auth success'));
    // A long auth timeout: waiting it out can't be mistaken for a prompt retry.
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    const started = Date.now();
    daemon.send(frame('token expiring'));
    await until(() => daemon.last().auths.length === 3, 'the third auth', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(daemon.conns).toHaveLength(1);
    expect(daemon.last().auths).toEqual([tokens[0], tokens[1], tokens[2]]);
    // The expiry error means events may have been dropped: one REST read covers it.
    expect(await ev.next(1_000)).toMatchObject({ type: 'gap' });
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
  });

  it('keeps a renewal that succeeds just after a stale expiry jwt error (an event dropped before it landed)', async () => {
    daemon.onAuth = (_tok, conn) => (conn.auths.length === 2 ? frame('jwt error', ['jwt: exp claim is invalid']) : frame('auth success'));
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000, staleErrorGraceMs: 500 } });
    daemon.send(frame('token expiring'));
    await until(() => daemon.last().auths.length === 2, 'the renewed auth');
    daemon.send(frame('auth success'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(daemon.last().auths).toHaveLength(2);
    expect(credentialCalls).toBe(2);
    expect(daemon.conns).toHaveLength(1);
    // The error may have stood for a dropped event: one REST read covers it.
    expect(await ev.next(1_000)).toMatchObject({ type: 'gap' });
  });

  it('fails a renewal auth answered with a daemon error at once and tries another fresh token', async () => {
    const generic = 'Error Event [0f1e2d3c-4b5a-4678-9abc-def012345678]: an unexpected error was encountered while handling this request';
    daemon.onAuth = (_tok, conn) => (conn.auths.length === 2 ? frame('daemon error', [generic]) : frame('auth success'));
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    const started = Date.now();
    daemon.send(frame('token expiring'));
    await until(() => daemon.last().auths.length === 3, 'the third auth', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(daemon.conns).toHaveLength(1);
    expect(credentialCalls).toBe(3);
    // Renewed before expiry: nothing was dropped.
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
  });

  it('gives up renewing on the same connection after a bounded number of refused tokens, and reconnects', async () => {
    const generic = 'Error Event [0f1e2d3c-4b5a-4678-9abc-def012345678]: an unexpected error was encountered while handling this request';
    daemon.onAuth = (_tok, conn) => (conn.auths.length === 1 ? frame('auth success') : frame('daemon error', [generic]));
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    const waiting = ev.next(5_000);
    daemon.send(frame('token expiring'));
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'gap' });
    expect((signal as { why: string }).why).toContain('reconnected');
    expect(daemon.conns).toHaveLength(2);
    expect(daemon.conns[0]!.auths).toHaveLength(1 + 3);
    expect(logs.some((l) => l.includes('could not be renewed') && l.includes('(3 fresh tokens tried)'))).toBe(true);
  });

  it('reports a gap on a jwt error that is not about expiry, without renewing', async () => {
    const ev = await open();
    const waiting = ev.next(2_000);
    daemon.send(frame('jwt error', ['jwt: missing permission for this event']));
    expect(await waiting).toEqual({ type: 'gap', why: 'the daemon sent a jwt error (jwt: missing permission for this event)' });
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
    expect(daemon.last().auths).toHaveLength(1);
    expect(credentialCalls).toBe(1);
  });

  it('reconnects at once when a renewal auth is rejected for another reason than expiry', async () => {
    daemon.onAuth = (_tok, conn) => (conn.auths.length === 2 ? frame('jwt error', ['jwt: missing connect permission']) : frame('auth success'));
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    const waiting = ev.next(5_000);
    daemon.send(frame('token expiring'));
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'gap' });
    expect((signal as { why: string }).why).toContain('reconnected');
    expect((signal as { why: string }).why).toContain('the daemon rejected the renewed websocket token: jwt: missing connect permission');
    expect(daemon.conns).toHaveLength(2);
  });

  it('reconnects to the new address when the panel gives another socket address at a renewal', async () => {
    const ev = await open({
      credentials: async () => {
        credentialCalls++;
        const tok = token(credentialCalls);
        tokens.push(tok);
        return { token: tok, socket: credentialCalls === 1 ? daemon.socketUrl() : `${daemon.socketUrl()}?moved=1` };
      },
    });
    const waiting = ev.next(3_000);
    daemon.send(frame('token expiring'));
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'gap' });
    expect((signal as { why: string }).why).toContain('reconnected after the panel now gives another socket address');
    expect(daemon.conns).toHaveLength(2);
    expect(daemon.conns[0]!.auths).toEqual([tokens[0]]);
  });

  it('tells a gap from before a reconnect only once: a later renewal reports none', async () => {
    const generic = 'Error Event [0f1e2d3c-4b5a-4678-9abc-def012345678]: an unexpected error was encountered while handling this request';
    // The first connection turns every renewal down; the second takes them.
    daemon.onAuth = (_tok, conn) => (conn === daemon.conns[0] && conn.auths.length > 1 ? frame('daemon error', [generic]) : frame('auth success'));
    const ev = await open({ timing: { ...TIMING, authTimeoutMs: 30_000 } });
    daemon.send(frame('jwt error', ['jwt: exp claim is invalid']));
    const whys: string[] = [];
    while (!whys.some((why) => why.includes('reconnected'))) {
      const signal = await ev.next(5_000);
      expect(signal).toMatchObject({ type: 'gap' });
      whys.push((signal as { why: string }).why);
    }
    expect(daemon.conns).toHaveLength(2);
    daemon.send(frame('token expiring'));
    await until(() => logs.includes('debug: Renewed the websocket token.'), 'the renewal on the new connection');
    expect(daemon.last().auths).toHaveLength(2);
    // Renewed before expiry, and the old gap was told with the reconnect.
    expect(await ev.next(50)).toEqual({ type: 'timeout' });
  });

  it("reports a gap on 'throttled' and sends nothing during the pause", async () => {
    const ev = await open();
    const waiting = ev.next(2_000);
    daemon.send(frame('throttled', ['global']));
    expect(await waiting).toEqual({ type: 'gap', why: 'the daemon throttled this socket (global)' });
    // An expiry right after: the renewed auth waits for the pause to end.
    const sent = Date.now();
    daemon.send(frame('token expiring'));
    await until(() => daemon.last().auths.length === 2, 'the renewed auth');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(60);
  });
});

describe('reconnecting', () => {
  it('reconnects with fresh credentials after a dropped connection and reports a gap', async () => {
    const ev = await open();
    const waiting = ev.next(3_000);
    daemon.last().socket.terminate();
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'gap' });
    expect((signal as { why: string }).why).toContain('reconnected');
    expect(daemon.conns).toHaveLength(2);
    expect(daemon.last().auths).toEqual([tokens[1]]);
    // The new connection delivers events.
    const next = ev.next(2_000);
    daemon.send(frame('backup completed', [completedPayload(BACKUP)]));
    expect(await next).toMatchObject({ type: 'completed', event: { uuid: BACKUP } });
  });

  it("gives up with 'lost' after maxReconnects failed reconnects", async () => {
    const ev = await open({ maxReconnects: 2 });
    daemon.upgrade = () => ({ status: 502, body: 'Bad Gateway' });
    const waiting = ev.next(3_000);
    daemon.last().socket.close(1001, 'server deleted');
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'lost' });
    expect((signal as { why: string }).why).toContain('2 reconnect(s) failed');
    expect((signal as { why: string }).why).toContain('502');
    expect(credentialCalls).toBe(3);
    // Lost is final.
    expect(await ev.next(1_000)).toMatchObject({ type: 'lost' });
  });

  it("gives up with 'lost' when the connection keeps dropping, though each reconnect works", async () => {
    const ev = await open({ maxDrops: 2 });
    for (let drop = 1; drop <= 2; drop++) {
      const waiting = ev.next(3_000);
      daemon.last().socket.terminate();
      expect(await waiting).toMatchObject({ type: 'gap' });
    }
    const waiting = ev.next(3_000);
    daemon.last().socket.terminate();
    const signal = await waiting;
    expect(signal).toMatchObject({ type: 'lost' });
    expect((signal as { why: string }).why).toMatch(/^the connection was lost 3 times, the last: /);
    expect(credentialCalls).toBe(3);
    await until(() => daemon.open().length === 0, 'every connection to close');
  });

  it("is lost when the panel refuses new credentials after a drop", async () => {
    let calls = 0;
    const ev = await open({
      maxReconnects: 1,
      credentials: async () => {
        calls++;
        if (calls > 1) throw new PanelError(409, undefined, ['suspended'], { method: 'GET', path: '/ws', permission: undefined }, {});
        return { token: token(calls), socket: daemon.socketUrl() };
      },
    });
    daemon.last().socket.close(4409, 'server is suspended');
    const signal = await ev.next(3_000);
    expect(signal).toMatchObject({ type: 'lost' });
    expect((signal as { why: string }).why).toContain('409');
  });
});

describe('closing', () => {
  it('close() ends the socket (the daemon sees 1000) and leaves no timers or sockets', async () => {
    const count = () => {
      const info = process.getActiveResourcesInfo();
      return { timers: info.filter((r) => r === 'Timeout').length, sockets: info.filter((r) => r === 'TCPSocketWrap').length };
    };
    const before = count();
    const ev = await open();
    const waiting = ev.next(60_000);
    ev.close();
    expect(await waiting).toEqual({ type: 'lost', why: 'closed' });
    await until(() => daemon.last().closed !== undefined, 'the close');
    expect(daemon.last().closed?.code).toBe(1000);
    await until(() => {
      const now = count();
      return now.timers <= before.timers && now.sockets <= before.sockets;
    }, 'handles to go');
    expect(await ev.next(10)).toEqual({ type: 'lost', why: 'closed' });
  });

  it('close() destroys the socket when the daemon never finishes the closing handshake', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const ev = await open({ timing: { ...TIMING, closeGraceMs: 50 } });
    // The daemon stops reading: it never sees the close frame, so never answers it.
    const raw = (daemon.last().socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    ev.close();
    // Only the daemon's own (paused) end is left.
    await until(() => sockets() <= before + 1, 'the client socket to be destroyed');
    raw.resume();
    await until(() => daemon.last().closed !== undefined, 'the close');
  });

  it('close() during a reconnect backoff stops it', async () => {
    const ev = await open({ timing: { ...TIMING, reconnectDelayMs: 10_000, maxReconnectDelayMs: 10_000 } });
    daemon.last().socket.terminate();
    await until(() => logs.some((l) => l.includes('reconnecting')), 'the drop');
    ev.close();
    expect(await ev.next(10)).toEqual({ type: 'lost', why: 'closed' });
    expect(credentialCalls).toBe(1);
  });

  it('an abort rejects a pending next() with the reason and closes the socket', async () => {
    const controller = new AbortController();
    const ev = await open({ signal: controller.signal });
    const waiting = ev.next(60_000);
    controller.abort(new Error('cancelled by SIGINT'));
    await expect(waiting).rejects.toThrow('cancelled by SIGINT');
    await expect(ev.next(10)).rejects.toThrow('cancelled by SIGINT');
    await until(() => daemon.last().closed !== undefined, 'the close');
  });
});

describe('openOnSocket', () => {
  const server = (permissions?: string[]) => ({ permissions }) as unknown as ServerInfo;

  it("says why without trying when the key's user lacks websocket.connect", async () => {
    let tried = false;
    const result = await openOnSocket(server(['backup.read']), async () => {
      tried = true;
      return 'socket';
    });
    expect(result).toEqual({ reason: "the key's user lacks the websocket.connect permission" });
    expect(tried).toBe(false);
    expect(await openOnSocket(server(['*']), async () => 'socket')).toEqual({ opened: 'socket' });
    expect(await openOnSocket(server(undefined), async () => 'socket')).toEqual({ opened: 'socket' });
  });

  it('turns an unusable socket into a reason, and throws anything else (a cancellation)', async () => {
    const refused = await openOnSocket(server(['*']), async () => {
      throw new WebsocketUnavailableError('refused', 'the daemon refused the websocket upgrade with 502.');
    });
    expect(refused).toEqual({ reason: 'the daemon refused the websocket upgrade with 502' });
    await expect(
      openOnSocket(server(['*']), async () => {
        throw new Error('cancelled by SIGINT');
      }),
    ).rejects.toThrow('cancelled by SIGINT');
  });
});
