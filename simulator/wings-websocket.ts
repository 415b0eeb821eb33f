// Wings' server websocket (W router/router_server_ws.go, router/websocket/websocket.go,
// router/websocket/listeners.go, router/websocket/message.go; PL router/websocket/limiter.go).
// See wings.md §1.2–§1.6, §2 and §5.1.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { REQUEST_FAULTS } from './faults.ts';
import { statusText } from './format.ts';
import { writeRawResponse } from './http-util.ts';
import { uuidV4 } from './ids.ts';
import { isExpValid, JWT_BAD_SIGNATURE, JWT_MALFORMED, verifyJwt } from './jwt.ts';
import type { Claims } from './jwt.ts';
import { powerAction, wsStats } from './power.ts';
import { lowerHeaders, queryRecord } from './recorder.ts';
import type { EventSink, ServerModel, SimCore } from './state.ts';
import { TokenBucket } from './throttle.ts';
import type { PowerSignal } from './types.ts';

interface Conn {
  ws: WebSocket;
  server: ServerModel;
  claims: Claims | null;
  /** Listeners are registered on the first successful auth only. */
  listening: boolean;
  expiryTimer: NodeJS.Timeout | null;
  global: TokenBucket;
  buckets: Map<string, TokenBucket>;
}

interface Frame {
  event: string;
  args?: string[];
}

const MAX_INBOUND = 32 * 1024;

function permissions(claims: Claims | null): string[] {
  const p = claims?.['permissions'];
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
}

/** `*` covers every permission that does not start with `admin`. */
function hasPermission(claims: Claims | null, permission: string): boolean {
  const p = permissions(claims);
  return p.includes(permission) || (p.includes('*') && !permission.startsWith('admin'));
}

export class WsHub implements EventSink {
  private readonly core: SimCore;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: 4 * 1024 * 1024 });
  private readonly conns = new Map<number, Set<Conn>>();
  private readonly statsTimers = new Map<number, NodeJS.Timeout>();

  constructor(core: SimCore) {
    this.core = core;
  }

  count(server: ServerModel): number {
    return this.conns.get(server.id)?.size ?? 0;
  }

  /** Sockets of the server that are open and not closing (a close frame received makes one closing). */
  countOpen(server: ServerModel): number {
    return [...(this.conns.get(server.id) ?? [])].filter((conn) => conn.ws.readyState === conn.ws.OPEN).length;
  }

  /** Cuts every socket of the server without a closing handshake (a network drop). */
  drop(server: ServerModel): void {
    for (const conn of this.conns.get(server.id) ?? []) conn.ws.terminate();
  }

  // ---- upgrade ------------------------------------------------------------------------------
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const core = this.core;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = lowerHeaders(req.headers);
    const m = /^\/api\/servers\/([^/]+)\/ws\/?$/.exec(url.pathname);
    const rec = core.recorder.add({
      route: m ? 'wings.ws' : 'wings.unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      query: queryRecord(url.searchParams),
      headers,
      body: undefined,
      at: Date.now(),
    });
    const reject = (status: number, body: string, contentType: string): void => {
      rec.status = status;
      writeRawResponse(socket, status, { 'Content-Type': contentType }, body);
    };
    if (!m) {
      reject(404, '404 page not found', 'text/plain');
      return;
    }
    const fault = core.faults.take('wings.ws', REQUEST_FAULTS);
    if (fault?.kind === 'reset-before' || fault?.kind === 'reset-after') {
      rec.status = 0;
      socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      reject(fault.status, JSON.stringify(fault.body ?? { error: statusText(fault.status) }), 'application/json; charset=utf-8');
      return;
    }
    if (fault?.kind === 'html') {
      reject(fault.status, `<html><body><h1>${fault.status} ${statusText(fault.status)}</h1></body></html>`, 'text/html');
      return;
    }
    if (fault?.kind === 'rate-limit') {
      reject(429, JSON.stringify({ error: 'Too Many Requests' }), 'application/json; charset=utf-8');
      return;
    }
    if (fault?.kind === 'delay') await new Promise<void>((resolve) => core.later(fault.ms, resolve));

    // middleware.ServerExists
    const server = core.servers.find((s) => s.uuid === decodeURIComponent(m[1] as string));
    if (!server) {
      reject(404, JSON.stringify({ error: 'The requested resource does not exist on this instance.' }), 'application/json; charset=utf-8');
      return;
    }
    // PL: connection cap per server, before the upgrade
    if (this.count(server) >= core.settings.wsMaxConnections) {
      reject(400, JSON.stringify({ error: 'Too many open websocket connections.' }), 'application/json; charset=utf-8');
      return;
    }
    // GetHandler's CheckOrigin: Origin must equal the daemon's `remote` (the panel URL) exactly,
    // or an `allowed_origins` entry (gorilla answers 403 text).
    const accepted = core.settings.wsRemote ?? core.panelUrl;
    if (headers['origin'] !== accepted && !core.settings.wsAllowedOrigins.includes(headers['origin'] ?? '') && !core.settings.wsAllowedOrigins.includes('*')) {
      rec.status = 403;
      writeRawResponse(socket, 403, { 'Content-Type': 'text/plain; charset=utf-8', 'Sec-Websocket-Version': '13', 'X-Content-Type-Options': 'nosniff' }, 'Forbidden\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      rec.status = 101;
      this.onConnection(ws, server);
    });
  }

  private onConnection(ws: WebSocket, server: ServerModel): void {
    const conn: Conn = {
      ws,
      server,
      claims: null,
      listening: false,
      expiryTimer: null,
      global: new TokenBucket(10, 200),
      buckets: new Map(),
    };
    let set = this.conns.get(server.id);
    if (!set) {
      set = new Set();
      this.conns.set(server.id, set);
    }
    set.add(conn);
    this.ensureStatsTimer(server);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    ws.on('close', () => this.onClose(conn));
    ws.on('error', () => undefined);
    // PL: a suspended server's socket is accepted, then closed.
    if (server.status === 'suspended') ws.close(4409, 'server is suspended');
  }

  private onClose(conn: Conn): void {
    if (conn.expiryTimer) clearInterval(conn.expiryTimer);
    conn.expiryTimer = null;
    const set = this.conns.get(conn.server.id);
    set?.delete(conn);
    if (set && set.size === 0) {
      const t = this.statsTimers.get(conn.server.id);
      if (t) clearInterval(t);
      this.statsTimers.delete(conn.server.id);
    }
  }

  private ensureStatsTimer(server: ServerModel): void {
    const ms = this.core.settings.wsStatsIntervalMs;
    if (ms <= 0 || this.statsTimers.has(server.id)) return;
    const t = setInterval(() => {
      if (server.power === 'running') this.broadcast(server, 'stats', [wsStats(server)]);
    }, ms);
    t.unref();
    this.statsTimers.set(server.id, t);
  }

  // ---- sending ------------------------------------------------------------------------------
  private sendRaw(conn: Conn, event: string, args: string[] = []): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // message.go: args is omitted when empty
    const frame: Frame = args.length > 0 ? { event, args } : { event };
    conn.ws.send(JSON.stringify(frame));
  }

  /**
   * SendJson: every outgoing event passes a token check first. With an expired token the client gets
   * `jwt error` instead, and the event is lost. Backup events need backup.read (or `*`).
   */
  private deliver(conn: Conn, event: string, args: string[]): void {
    if (!conn.claims || !isExpValid(conn.claims)) {
      this.sendRaw(conn, 'jwt error', ['jwt: exp claim is invalid']);
      return;
    }
    if (event.startsWith('backup completed') && !hasPermission(conn.claims, 'backup.read')) return;
    if (event === 'install output' && !hasPermission(conn.claims, 'admin.websocket.install')) return;
    if (event.startsWith('transfer logs') && !hasPermission(conn.claims, 'admin.websocket.transfer')) return;
    this.sendRaw(conn, event, args);
  }

  broadcast(server: ServerModel, event: string, args: string[]): void {
    for (const conn of this.conns.get(server.id) ?? []) {
      if (conn.listening) this.deliver(conn, event, args);
    }
  }

  // ---- receiving ----------------------------------------------------------------------------
  private bucketFor(conn: Conn, event: string): TokenBucket {
    let b = conn.buckets.get(event);
    if (!b) {
      const s = this.core.settings;
      if (event === 'auth' || event === 'send logs') b = new TokenBucket(s.wsAuthBurst, s.wsAuthRefillMs);
      else if (event === 'send command') b = new TokenBucket(10, 1000);
      else b = new TokenBucket(4, 1000);
      conn.buckets.set(event, b);
    }
    return b;
  }

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (text.length > MAX_INBOUND) return;
    let frame: Frame;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || typeof (parsed as Frame).event !== 'string') return;
      frame = parsed as Frame;
    } catch {
      return; // invalid JSON is dropped silently; the connection stays open
    }
    const args = Array.isArray(frame.args) ? frame.args.map((a) => String(a)) : [];
    if (!conn.global.take()) {
      this.sendRaw(conn, 'throttled', ['global']);
      return;
    }
    if (!this.bucketFor(conn, frame.event).take()) {
      this.sendRaw(conn, 'throttled', [frame.event]);
      return;
    }
    if (frame.event === 'auth') {
      this.authenticate(conn, args.join(''));
      return;
    }
    if (!conn.claims) {
      this.sendRaw(conn, 'jwt error', ['jwt: no jwt present']);
      return;
    }
    if (!isExpValid(conn.claims)) {
      this.sendRaw(conn, 'jwt error', ['jwt: exp claim is invalid']);
      return;
    }
    this.dispatch(conn, frame.event, args);
  }

  private tokenError(conn: Conn, token: string): { claims: Claims } | { error: string } {
    const r = verifyJwt(token, this.core.daemonToken);
    if (!r.ok) return { error: token === '' ? 'jwt: no jwt present' : r.error };
    const iat = r.claims['iat'];
    if (typeof iat !== 'number' || iat < this.core.wingsBootSec) return { error: 'jwt: created too far in past (denylist)' };
    if (!hasPermission(r.claims, 'websocket.connect')) return { error: 'jwt: missing connect permission' };
    if (r.claims['server_uuid'] !== conn.server.uuid) return { error: 'jwt: server uuid mismatch' };
    return { claims: r.claims };
  }

  private authenticate(conn: Conn, token: string): void {
    const result = this.tokenError(conn, token);
    if ('error' in result) {
      // The connection is not closed; a previously valid token stays in place. Only Wings' own
      // JWT errors (IsJwtError: expiry, denylist, no connect permission, uuid mismatch) come back
      // as `jwt error`; a token that does not parse or verify is a plain `daemon error` with the
      // generic text (router/websocket/websocket.go `SendErrorJson`).
      const jwtError = result.error !== JWT_MALFORMED && result.error !== JWT_BAD_SIGNATURE;
      const detail = jwtError ? result.error : 'an unexpected error was encountered while handling this request';
      this.sendRaw(conn, jwtError ? 'jwt error' : 'daemon error', [`Error Event [${uuidV4()}]: ${detail}`]);
      return;
    }
    conn.claims = result.claims;
    this.sendRaw(conn, 'auth success');
    if (conn.listening) return; // re-auth only refreshes the token
    conn.listening = true;
    const server = conn.server;
    this.sendRaw(conn, 'status', [server.power]);
    if (server.power === 'offline' && server.status !== 'installing' && !server.transferring) {
      this.sendRaw(conn, 'stats', [wsStats(server)]);
    }
    // listenForExpiration: a ticker that warns once ≤ 60 s remain.
    const timer = setInterval(() => {
      const exp = conn.claims?.['exp'];
      if (typeof exp !== 'number') return;
      const left = exp - Date.now() / 1000;
      if (left <= 0) this.deliver(conn, 'token expired', []);
      else if (left <= 60) this.deliver(conn, 'token expiring', []);
    }, this.core.settings.wsExpiryCheckMs);
    timer.unref();
    conn.expiryTimer = timer;
  }

  private dispatch(conn: Conn, event: string, args: string[]): void {
    const server = conn.server;
    switch (event) {
      case 'send stats':
        this.deliver(conn, 'stats', [wsStats(server)]);
        break;
      case 'send logs':
        if (server.power !== 'offline') {
          for (const line of ['[Server] Done (1.234s)! For help, type "help"', '[Server] There are 0 of a max of 20 players online']) {
            this.deliver(conn, 'console output', [line]);
          }
        }
        break;
      case 'set state': {
        const action = args[0];
        if (action !== 'start' && action !== 'stop' && action !== 'restart' && action !== 'kill') break;
        const perm = action === 'kill' ? 'control.stop' : `control.${action}`;
        if (!hasPermission(conn.claims, perm)) break;
        powerAction(this.core, server, action as PowerSignal, 'websocket');
        break;
      }
      case 'send command':
        if (hasPermission(conn.claims, 'control.console') && server.power === 'running') {
          this.deliver(conn, 'console output', [`> ${args.join('')}`]);
        }
        break;
      default:
        break;
    }
  }

  closeAll(): void {
    for (const set of this.conns.values()) {
      for (const conn of set) {
        if (conn.expiryTimer) clearInterval(conn.expiryTimer);
        conn.ws.terminate();
      }
    }
    this.conns.clear();
    for (const t of this.statsTimers.values()) clearInterval(t);
    this.statsTimers.clear();
    this.wss.close();
  }
}
