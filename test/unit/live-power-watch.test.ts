import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket as DaemonSide } from 'ws';
import type { AddressInfo } from 'node:net';
import { LivePowerWatch } from '../../src/restore/live-power-watch.js';
import { WebsocketUnavailableError } from '../../src/wait/websocket/errors.js';
import type { OperationContext } from '../../src/operations/context.js';
import { tick, until } from '../support/wait-until.ts';

const PANEL = 'https://panel.example.com';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const TOKEN = `${b64url({ alg: 'HS256' })}.${b64url({ iss: PANEL, permissions: ['*'], exp: Math.floor(Date.now() / 1000) + 600 })}.sig`;
const frame = (event: string, args?: string[]) => JSON.stringify(args ? { event, args } : { event });

/** A scripted daemon socket: what it answers to `auth` is up to each test. */
let wss: WebSocketServer;
let sockets: DaemonSide[];
let onAuth: (socket: DaemonSide) => void;
let lines: string[];
let resourceReads: number;
let abort: AbortController;
let watch: LivePowerWatch | undefined;

beforeEach(async () => {
  sockets = [];
  lines = [];
  resourceReads = 0;
  abort = new AbortController();
  watch = undefined;
  onAuth = (socket) => {
    socket.send(frame('auth success'));
    socket.send(frame('status', ['running']));
  };
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { event: string }).event === 'auth') onAuth(socket);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
});

afterEach(async () => {
  watch?.close();
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  for (const line of lines) expect(line).not.toContain(TOKEN);
});

function context(): OperationContext {
  const port = (wss.address() as AddressInfo).port;
  const line = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return {
    serverId: '1a2b3c4d',
    settings: { panelUrl: new URL(PANEL), allowInsecureHttp: true },
    client: {
      getWebsocketCredentials: async () => ({ token: TOKEN, socket: `ws://127.0.0.1:${port}/api/servers/x/ws` }),
      getResources: async () => {
        resourceReads++;
        return { currentState: 'stopping', isSuspended: false };
      },
    },
    transport: { dispatcherFor: () => undefined },
    signal: abort.signal,
    now: Date.now,
    sleep: (ms: number) => tick(ms),
    log: { info: line('info'), warning: line('warning'), notice: line('notice'), debug: line('debug') },
  } as unknown as OperationContext;
}

async function openError(timeoutMs?: number): Promise<unknown> {
  return LivePowerWatch.open(context(), timeoutMs).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('LivePowerWatch', () => {
  it('gives the state the daemon sends after auth, and wakes a pause on every change', async () => {
    watch = await LivePowerWatch.open(context());
    expect(await watch.read()).toEqual({ state: 'running', fresh: true });
    expect(watch.untilFresh()).toBe(0);
    const started = Date.now();
    setTimeout(() => sockets[0]!.send(frame('status', ['stopping'])), 50);
    await watch.pause(5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await watch.read()).toEqual({ state: 'stopping', fresh: true });
    expect(resourceReads).toBe(0);
  });

  it('returns from a pause at once for a change that came while the caller was busy', async () => {
    watch = await LivePowerWatch.open(context());
    await watch.read();
    sockets[0]!.send(frame('status', ['offline']));
    // The change has arrived (the watch logs it) while nobody was pausing.
    await until(() => lines.includes('debug: Websocket: the server is offline.'), 'the change to arrive');
    // With nothing more in flight, only the recorded change can end the pause before the next turn of the loop.
    const outcome = await Promise.race([
      watch.pause(60_000).then(() => 'returned'),
      new Promise((resolve) => setImmediate(() => resolve('still pausing'))),
    ]);
    expect(outcome).toBe('returned');
    expect((await watch.read()).state).toBe('offline');
  });

  it('is rejected when the daemon answers auth with a jwt error, and closes the socket', async () => {
    onAuth = (socket) => socket.send(frame('jwt error', ['jwt: exp claim is invalid']));
    const error = await openError();
    expect(error).toBeInstanceOf(WebsocketUnavailableError);
    expect((error as WebsocketUnavailableError).reason).toBe('rejected');
    expect((error as Error).message).toBe("the daemon sent jwt error (jwt: exp claim is invalid) instead of the server's state.");
    await until(() => sockets[0]!.readyState === sockets[0]!.CLOSED, 'the daemon side to close');
  });

  it('is rejected when the daemon answers auth with a daemon error (a token that does not verify)', async () => {
    onAuth = (socket) => socket.send(frame('daemon error', ['Error Event [x]: an unexpected error was encountered while handling this request']));
    const error = await openError(5_000);
    expect((error as WebsocketUnavailableError).reason).toBe('rejected');
    expect((error as Error).message).toBe('the daemon refused the websocket token (Error Event [x]: an unexpected error was encountered while handling this request).');
  });

  it('is refused when the socket drops before the first state', async () => {
    onAuth = (socket) => socket.terminate();
    const error = await openError();
    expect((error as WebsocketUnavailableError).reason).toBe('refused');
    expect((error as Error).message).toMatch(/before the daemon sent the server's state\.$/);
    // Nothing to hand over yet: the caller says why in one line.
    expect(lines.filter((line) => line.includes("websocket is gone"))).toEqual([]);
  });

  it("is rejected when the token expires before the server's state comes", async () => {
    onAuth = (socket) => {
      socket.send(frame('auth success'));
      socket.send(frame('token expired'));
    };
    const error = await openError(5_000);
    expect((error as WebsocketUnavailableError).reason).toBe('rejected');
    expect((error as Error).message).toBe("the daemon sent token expired instead of the server's state.");
  });

  it("is refused when the daemon throttles the socket before the server's state comes", async () => {
    onAuth = (socket) => socket.send(frame('throttled', ['auth']));
    const error = await openError(5_000);
    expect((error as WebsocketUnavailableError).reason).toBe('refused');
    expect((error as Error).message).toContain('throttled');
  });

  it('takes no empty status for the state', async () => {
    onAuth = (socket) => {
      socket.send(frame('auth success'));
      socket.send(frame('status'));
    };
    const error = await openError(300);
    expect((error as WebsocketUnavailableError).reason).toBe('failed');
  });

  it('gives up when no state comes in time', async () => {
    onAuth = (socket) => socket.send(frame('auth success'));
    const error = await openError(300);
    expect((error as WebsocketUnavailableError).reason).toBe('failed');
    expect((error as Error).message).toMatch(/^the daemon did not send the server's state within \d+ ms\.$/);
  });

  it('stops at once with the reason when the step is cancelled while it waits for the state', async () => {
    onAuth = () => undefined;
    const started = Date.now();
    setTimeout(() => abort.abort(new Error('cancelled')), 100);
    const error = await openError(10_000);
    expect((error as Error).message).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("hands over to the panel's state when the socket drops later, and says so", async () => {
    watch = await LivePowerWatch.open(context());
    sockets[0]!.terminate();
    await until(() => lines.some((line) => line.includes("The daemon's websocket is gone")), 'the drop to be noticed');
    expect(await watch.read()).toEqual({ state: 'stopping', fresh: false });
    expect(resourceReads).toBe(1);
    expect(watch.describe).toBe('the panel, which caches it for up to 20 s');
    expect(lines.some((line) => /^info: The daemon's websocket is gone \(.*\); reading the server's state from the panel instead\.$/.test(line))).toBe(true);
  });

  it("hands over to the panel's state when the token runs out later, and wakes a pause", async () => {
    watch = await LivePowerWatch.open(context());
    await watch.read();
    // Longer than the test may take: only the hand-over can end it.
    const pausing = watch.pause(120_000);
    sockets[0]!.send(frame('jwt error', ['jwt: exp claim is invalid']));
    await pausing;
    expect(await watch.read()).toEqual({ state: 'stopping', fresh: false });
    expect(lines).toContain("info: The daemon's websocket is gone (the daemon sent jwt error (jwt: exp claim is invalid)); reading the server's state from the panel instead.");
  });

  it('close() ends a pending pause', async () => {
    watch = await LivePowerWatch.open(context());
    await watch.read();
    const started = Date.now();
    const pausing = watch.pause(5_000);
    setTimeout(() => watch?.close(), 50);
    await pausing;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
