// The panel's HTTP server: routing, then the middleware order of panel-api.md §1.2:
// auth (401) → IsValidJson (400) → 2FA (400) → key IP allow-list (403) → rate limit (429)
// → {server} (404) → application key (403)
// → server access (404) → server state (409) → {backup} (404) → handler (permission 403,
// validation 422, controller logic).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BlockList, isIPv6 } from 'node:net';
import { E, HttpError, jsonReply, proxyHtmlPage, renderError } from './envelope.ts';
import type { Reply } from './envelope.ts';
import { PANEL_REQUEST_FAULTS } from './faults.ts';
import { statusText } from './format.ts';
import { cleanInput, expectsJson, parseBody, parseParams } from './input.ts';
import type { Ctx, RouteDef } from './panel-context.ts';
import { serverActivity } from './panel-routes/activity.ts';
import {
  createBackup,
  deleteBackup,
  downloadBackup,
  listBackups,
  renameBackup,
  toggleLock,
  viewBackup,
} from './panel-routes/backups.ts';
import { clientIndex } from './panel-routes/client.ts';
import { serverPower } from './panel-routes/power.ts';
import { restoreBackup } from './panel-routes/restore.ts';
import { serverResources, serverView, serverWebsocket } from './panel-routes/server.ts';
import { lowerHeaders, queryRecord, recordableBody } from './recorder.ts';
import type { ServerModel, SimCore } from './state.ts';
import type { RecordedRequest } from './types.ts';

const S = '/api/client/servers/{server}';
const B = `${S}/backups/{backup}`;

// routes/api-client.php
export const ROUTES: readonly RouteDef[] = [
  { name: 'client.index', method: 'GET', path: '/api/client', handler: clientIndex },
  { name: 'server.view', method: 'GET', path: S, handler: serverView },
  { name: 'server.websocket', method: 'GET', path: `${S}/websocket`, handler: serverWebsocket },
  { name: 'server.resources', method: 'GET', path: `${S}/resources`, handler: serverResources },
  { name: 'server.activity', method: 'GET', path: `${S}/activity`, handler: serverActivity },
  { name: 'server.power', method: 'POST', path: `${S}/power`, handler: serverPower },
  { name: 'backups.list', method: 'GET', path: `${S}/backups`, handler: listBackups },
  { name: 'backups.create', method: 'POST', path: `${S}/backups`, handler: createBackup },
  { name: 'backups.view', method: 'GET', path: B, handler: viewBackup },
  { name: 'backups.download', method: 'GET', path: `${B}/download`, handler: downloadBackup },
  { name: 'backups.lock', method: 'POST', path: `${B}/lock`, handler: toggleLock },
  { name: 'backups.restore', method: 'POST', path: `${B}/restore`, handler: restoreBackup },
  { name: 'backups.delete', method: 'DELETE', path: B, handler: deleteBackup },
  { name: 'backups.rename', method: 'PUT', path: `${B}/rename`, handler: renameBackup, flavor: 'pelican' },
];

type Match =
  | { kind: 'ok'; route: RouteDef; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i] as string;
    const x = xs[i] as string;
    if (p.startsWith('{')) {
      if (x === '') return null;
      params[p.slice(1, -1)] = x;
    } else if (p !== x) {
      return null;
    }
  }
  return params;
}

export function matchRoute(core: SimCore, method: string, relPath: string): Match {
  // UriValidator: the trailing slash is trimmed before matching; segments are rawurldecoded.
  let path = relPath.replace(/\/+$/, '') || '/';
  try {
    path = decodeURIComponent(path);
  } catch {
    return { kind: 'none' };
  }
  const allowed: string[] = [];
  for (const route of ROUTES) {
    if (route.flavor && route.flavor !== core.flavor) continue;
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { kind: 'ok', route, params };
    allowed.push(...(route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]));
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}

// app/Models/Server.php validateCurrentState + ServerStateConflictException, in this order.
export function conflictDetail(server: ServerModel): string | null {
  if (server.status === 'suspended') {
    return 'This server is currently suspended and the functionality requested is unavailable.';
  }
  if (server.nodeMaintenance) {
    return 'The node of this server is currently under maintenance and the functionality requested is unavailable.';
  }
  if (server.status === 'installing' || server.status === 'install_failed') {
    return 'This server has not yet completed its installation process, please try again later.';
  }
  if (server.status === 'restoring_backup') {
    return 'This server is currently restoring from a backup, please try again later.';
  }
  if (server.transferring) {
    return 'This server is currently being transferred to a new machine, please try again later.';
  }
  return null;
}

/** AuthenticateIPAccess: no list (or an empty one) allows any address; entries are addresses or CIDR ranges. */
function ipAllowed(allowed: string[] | undefined, ip: string): boolean {
  if (!allowed || allowed.length === 0) return true;
  const list = new BlockList();
  for (const entry of allowed) {
    const [address = '', prefix] = entry.trim().split('/');
    const family = isIPv6(address) ? 'ipv6' : 'ipv4';
    try {
      if (prefix === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(prefix), family);
    } catch {
      // An entry that does not parse matches nothing.
    }
  }
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/** Laravel's bearerToken(). */
function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const pos = header.toLowerCase().lastIndexOf('bearer ');
  if (pos === -1) return null;
  const rest = header.slice(pos + 7);
  const comma = rest.indexOf(',');
  return comma === -1 ? rest : rest.slice(0, comma);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(core: SimCore, ms: number): Promise<void> {
  return new Promise((resolve) => core.later(ms, resolve));
}

function send(res: ServerResponse, rec: RecordedRequest, reply: Reply, head: boolean): void {
  rec.status = reply.status;
  const headers: Record<string, string> = { ...reply.headers };
  const body = reply.status === 204 || reply.body === undefined ? undefined : reply.body;
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : body);
}

function destroy(res: ServerResponse, rec: RecordedRequest): void {
  rec.status = 0;
  res.socket?.destroy();
}

async function pipeline(core: SimCore, base: Omit<Ctx, 'user' | 'key' | 'input'>, raw: Buffer, ip: string): Promise<Reply> {
  const renderCtx = {
    expectsJson: !core.settings.requireAcceptJson || expectsJson(base.headers),
    panelUrl: core.panelUrl,
    referer: base.headers['referer'],
  };
  const resHeaders = base.resHeaders;
  try {
    // auth:sanctum — ApiKey::findToken
    const auth = core.authenticate(bearerToken(base.headers['authorization']));
    if (!auth) throw E.unauthenticated();
    // IsValidJson, then TrimStrings/ConvertEmptyStringsToNull on query and body
    const body = cleanInput(parseBody(raw, base.headers['content-type'])) as Record<string, unknown>;
    const ctx: Ctx = { ...base, user: auth.user, key: auth.key, input: { ...base.query, ...body } };
    // RequireTwoFactorAuthentication (Pterodactyl's `api` group only); simulated accounts have no 2FA.
    const twoFactor = core.settings.twoFactorRequired ?? 'none';
    if (core.flavor === 'pterodactyl' && (twoFactor === 'all' || (twoFactor === 'admins' && auth.user.rootAdmin))) {
      throw E.twoFactorRequired();
    }
    // AuthenticateIPAccess: the key's allowed_ips against $request->ip()
    if (!ipAllowed(core.settings.keyAllowedIps?.[auth.key.token], ip)) throw E.ipNotAllowed(ip);
    // throttle:api.client — per user, one-minute window (RouteServiceProvider::configureRateLimiting)
    const limit = core.settings.rateLimitPerMinute;
    const r = core.generalLimiter.attempt(`api.client:${auth.user.uuid}`, limit, 60_000);
    resHeaders['X-RateLimit-Limit'] = String(limit);
    resHeaders['X-RateLimit-Remaining'] = String(r.remaining);
    if (!r.allowed) {
      throw E.throttled({ 'Retry-After': String(r.retryAfterSec), 'X-RateLimit-Reset': String(r.resetAtSec) });
    }
    const serverParam = ctx.params['server'];
    if (serverParam !== undefined) {
      const server = core.bindServer(serverParam);
      if (!server) throw E.modelNotFound();
      ctx.server = server;
    }
    if (auth.key.type !== 'client') throw E.applicationKey();
    if (ctx.server) {
      const server = ctx.server;
      if (!core.hasAccess(auth.user, server)) throw E.noServerAccess();
      const conflict = conflictDetail(server);
      // server.view always passes; root admins may fetch a websocket token unless suspended or in maintenance.
      const bypass =
        ctx.route.name === 'server.view' ||
        (ctx.route.name === 'server.websocket' &&
          auth.user.rootAdmin &&
          server.status !== 'suspended' &&
          !server.nodeMaintenance);
      if (conflict !== null && !bypass) throw E.conflict(conflict);
      const backupParam = ctx.params['backup'];
      if (backupParam !== undefined) {
        const backup = core.bindBackup(server, backupParam);
        if (!backup) throw E.modelNotFound();
        ctx.backup = backup;
      }
    }
    const reply = await ctx.route.handler(ctx);
    return { ...reply, headers: { ...reply.headers, ...resHeaders } };
  } catch (err) {
    let httpErr: HttpError;
    if (err instanceof HttpError) {
      httpErr = err;
    } else {
      if (process.env['SIM_DEBUG']) console.error('[simulator] unexpected error', err);
      httpErr = E.unexpected(err instanceof Error ? err.constructor.name : 'Exception');
    }
    return renderError(httpErr, renderCtx, resHeaders);
  }
}

async function handle(core: SimCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const raw = await readBody(req);
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers = lowerHeaders(req.headers);
  const rec = core.recorder.add({
    route: 'panel.unknown',
    method,
    path: url.pathname,
    query: queryRecord(url.searchParams),
    headers,
    body: recordableBody(raw.toString('utf8'), headers['content-type']),
    at,
  });
  const head = method === 'HEAD';
  const renderCtx = {
    expectsJson: !core.settings.requireAcceptJson || expectsJson(headers),
    panelUrl: core.panelUrl,
    referer: headers['referer'],
  };

  let rel: string | null = url.pathname;
  if (core.prefix) {
    if (rel === core.prefix || rel.startsWith(`${core.prefix}/`)) rel = rel.slice(core.prefix.length) || '/';
    else rel = null;
  }
  const match = rel === null ? ({ kind: 'none' } as const) : matchRoute(core, method, rel);
  if (match.kind !== 'ok') {
    const shown = (rel ?? url.pathname).replace(/^\/+|\/+$/g, '');
    const err = match.kind === 'method' ? E.methodNotAllowed(method, shown, match.allowed) : E.routeNotFound(shown);
    send(res, rec, renderError(err, renderCtx, {}), head);
    return;
  }
  rec.route = match.route.name;

  const fault = core.faults.take(match.route.name, PANEL_REQUEST_FAULTS);
  if (fault) {
    switch (fault.kind) {
      case 'reset-before':
        destroy(res, rec);
        return;
      case 'status': {
        if (typeof fault.body === 'string') {
          const headers = { 'Content-Type': 'text/plain; charset=UTF-8', ...(fault.headers ?? {}) };
          send(res, rec, { status: fault.status, headers, body: fault.body }, head);
          return;
        }
        const body =
          fault.body !== undefined
            ? fault.body
            : { errors: [{ code: 'HttpException', status: String(fault.status), detail: statusText(fault.status) }] };
        send(res, rec, jsonReply(fault.status, body, fault.headers ?? {}), head);
        return;
      }
      case 'html':
        send(res, rec, proxyHtmlPage(fault.status), head);
        return;
      case 'rate-limit': {
        const retry = fault.retryAfterSec ?? 1;
        const err = E.throttled({
          'Retry-After': String(retry),
          'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + retry),
          'X-RateLimit-Limit': String(core.settings.rateLimitPerMinute),
          'X-RateLimit-Remaining': '0',
        });
        send(res, rec, renderError(err, renderCtx, {}), head);
        return;
      }
      case 'delay':
        await sleep(core, fault.ms);
        break;
      default:
        break;
    }
  }

  const host = headers['host'] ?? new URL(core.panelUrl).host;
  const reply = await pipeline(
    core,
    {
      core,
      route: match.route,
      method,
      params: match.params,
      query: cleanInput(parseParams(url.searchParams)) as Record<string, unknown>,
      headers,
      pathUrl: `http://${host}${url.pathname.replace(/\/+$/, '')}`,
      resHeaders: {},
    },
    raw,
    // $request->ip(): the peer's address (no trusted proxies), IPv4-mapped IPv6 shown as IPv4.
    (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.)/, ''),
  );
  if (fault?.kind === 'reset-after') {
    destroy(res, rec);
    return;
  }
  if (fault?.kind === 'delay-response') await sleep(core, fault.ms);
  send(res, rec, reply, head);
}

export function createPanelServer(core: SimCore): Server {
  return createServer((req, res) => {
    handle(core, req, res).catch((err: unknown) => {
      if (process.env['SIM_DEBUG']) console.error('[simulator] panel failure', err);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('simulator failure');
      } else {
        res.destroy();
      }
    });
  });
}
