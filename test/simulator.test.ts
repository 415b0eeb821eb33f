// Behaviour of the panel + Wings simulator that the action's end-to-end tests rely on.
// Expected strings come from shared/docs/panel-api.md and shared/docs/wings.md.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { archiveBytes, archiveSha1Sync } from '../simulator/archive.ts';
import { startSimulator } from '../simulator/index.ts';
import type { SimServer, Simulator, SimulatorOptions } from '../simulator/index.ts';
import { api, authedWs, connectWs, sha1, sleep, until } from '../simulator/test-client.ts';
import type { WsClient } from '../simulator/test-client.ts';

let sim: Simulator;
let srv: SimServer;
const sockets: WsClient[] = [];

async function boot(opts: SimulatorOptions = {}): Promise<void> {
  await sim?.close();
  sim = await startSimulator(opts);
  Object.assign(sim.settings, {
    backupDurationMs: 40,
    stopDurationMs: 40,
    startDurationMs: 40,
    restoreDurationMs: 60,
    archiveBytes: 200_000,
  });
  srv = sim.addServer({ name: 'Survival' });
}

beforeEach(async () => {
  await boot();
});

afterEach(async () => {
  vi.useRealTimers();
  for (const s of sockets.splice(0)) await s.close();
  await sim.close();
});

const B = (): string => `/servers/${srv.identifier}/backups`;

function err(r: { json: any }): { code: string; status: string; detail: string } {
  return r.json.errors[0];
}

async function createBackup(body: unknown = {}, key?: string): Promise<any> {
  const r = await api(sim, 'POST', B(), { body, ...(key ? { key } : {}) });
  expect(r.status).toBe(200);
  return r.json.attributes;
}

async function waitDone(uuid: string): Promise<void> {
  await until(() => sim.backup(uuid)?.completed_at);
}

describe('auth and the order of checks', () => {
  it('401 without or with an unknown key, without X-RateLimit headers', async () => {
    for (const key of [null, 'ptlc_' + 'x'.repeat(43), 'short']) {
      const r = await api(sim, 'GET', `/servers/${srv.identifier}`, { key });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ errors: [{ code: 'AuthenticationException', status: '401', detail: 'Unauthenticated.' }] });
      expect(r.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('keys are 48 characters with the flavor prefix', async () => {
    expect(sim.apiKey).toMatch(/^ptlc_[A-Za-z0-9]{43}$/);
    expect(sim.applicationKey).toMatch(/^ptla_[A-Za-z0-9]{43}$/);
    const custom = sim.addUser({ permissions: [], keyPrefix: 'plcn_' });
    expect(custom.apiKey).toMatch(/^plcn_[A-Za-z0-9]{43}$/);
    await boot({ flavor: 'pelican' });
    expect(sim.apiKey).toMatch(/^pacc_/);
    expect(sim.applicationKey).toMatch(/^papp_/);
  });

  it('an application key authenticates, then gets 403 (after the server binding)', async () => {
    const r = await api(sim, 'GET', B(), { key: sim.applicationKey });
    expect(r.status).toBe(403);
    expect(err(r)).toEqual({
      code: 'AccessDeniedHttpException',
      status: '403',
      detail: 'You are attempting to use an application API key on an endpoint that requires a client API key.',
    });
    expect(r.headers.get('x-ratelimit-limit')).toBe('720');
    const unknown = await api(sim, 'GET', '/servers/deadbeef/backups', { key: sim.applicationKey });
    expect(unknown.status).toBe(404);
    expect((await api(sim, 'GET', '', { key: sim.applicationKey })).status).toBe(403);
  });

  it('unknown server vs a server the user cannot access', async () => {
    const unknown = await api(sim, 'GET', '/servers/deadbeef');
    expect(unknown.status).toBe(404);
    expect(err(unknown)).toEqual({
      code: 'NotFoundHttpException',
      status: '404',
      detail: 'The requested resource could not be found on the server.',
    });
    const { apiKey } = sim.addUser({ permissions: ['backup.read'] });
    const hidden = sim.addServer({ visibleTo: [sim.apiKey] });
    const r = await api(sim, 'GET', `/servers/${hidden.identifier}/backups`, { key: apiKey });
    expect(r.status).toBe(404);
    expect(err(r).detail).toBe('The requested resource does not exist on this server.');
    // the full UUID binds too
    expect((await api(sim, 'GET', `/servers/${srv.uuid}`)).status).toBe(200);
  });

  it('without Accept: application/json errors are a login redirect or HTML', async () => {
    const r401 = await api(sim, 'GET', B(), { key: null, accept: null });
    expect(r401.status).toBe(302);
    expect(r401.headers.get('location')).toBe(`${sim.panelUrl}/auth/login`);
    const r404 = await api(sim, 'GET', '/servers/deadbeef', { accept: 'text/html' });
    expect(r404.status).toBe(404);
    expect(r404.headers.get('content-type')).toMatch(/^text\/html/);
    const vnd = await api(sim, 'GET', '/servers/deadbeef', { accept: 'application/vnd.pterodactyl.v1+json' });
    expect(vnd.json.errors[0].status).toBe('404');
  });

  it('a missing permission is 403 after the backup binding', async () => {
    sim.addBackup(srv.identifier);
    const { apiKey } = sim.addUser({ permissions: ['backup.create'] });
    const missing = await api(sim, 'GET', `${B()}/00000000-0000-4000-8000-000000000000`, { key: apiKey });
    expect(missing.status).toBe(404);
    const r = await api(sim, 'GET', B(), { key: apiKey });
    expect(r.status).toBe(403);
    expect(err(r)).toEqual({ code: 'AccessDeniedHttpException', status: '403', detail: 'This action is unauthorized.' });
  });

  it('unknown routes and methods', async () => {
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/nope`);
    expect(r.status).toBe(404);
    expect(err(r).detail).toBe(`The route api/client/servers/${srv.identifier}/nope could not be found.`);
    const m = await api(sim, 'PATCH', B());
    expect(m.status).toBe(405);
    expect(err(m).code).toBe('MethodNotAllowedHttpException');
    // rename is Pelican-only
    const b = sim.addBackup(srv.identifier);
    expect((await api(sim, 'PUT', `${B()}/${b.uuid}/rename`, { body: { name: 'x' } })).status).toBe(404);
  });
});

describe('server state conflicts (409)', () => {
  const cases: Array<[Partial<SimServer>, string]> = [
    [{ status: 'suspended' }, 'This server is currently suspended and the functionality requested is unavailable.'],
    [{ nodeMaintenance: true }, 'The node of this server is currently under maintenance and the functionality requested is unavailable.'],
    [{ status: 'installing' }, 'This server has not yet completed its installation process, please try again later.'],
    [{ status: 'install_failed' }, 'This server has not yet completed its installation process, please try again later.'],
    [{ status: 'restoring_backup' }, 'This server is currently restoring from a backup, please try again later.'],
    [{ transferring: true }, 'This server is currently being transferred to a new machine, please try again later.'],
  ];
  it.each(cases)('%o', async (state, detail) => {
    Object.assign(sim.server(srv.identifier), state);
    for (const path of [B(), `/servers/${srv.identifier}/resources`, `/servers/${srv.identifier}/websocket`]) {
      const r = await api(sim, 'GET', path);
      expect(r.status).toBe(409);
      expect(err(r)).toEqual({ code: 'ServerStateConflictException', status: '409', detail });
    }
    expect((await api(sim, 'GET', `/servers/${srv.identifier}`)).status).toBe(200);
  });

  it('suspension wins over maintenance; the suspended flag mirrors the status', async () => {
    const s = sim.server(srv.identifier);
    s.suspended = true;
    s.nodeMaintenance = true;
    expect(s.status).toBe('suspended');
    expect(err(await api(sim, 'GET', B())).detail).toMatch(/suspended/);
    const view = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(view.json.attributes.is_suspended).toBe(true);
    expect(view.json.attributes.is_node_under_maintenance).toBe(true);
  });

  it('reinstall_failed passes the middleware', async () => {
    sim.server(srv.identifier).status = 'reinstall_failed';
    expect((await api(sim, 'GET', B())).status).toBe(200);
  });
});

describe('validation and request bodies', () => {
  it('rejects "true" for is_locked with the Laravel message and meta', async () => {
    const r = await api(sim, 'POST', B(), { body: { is_locked: 'true' } });
    expect(r.status).toBe(422);
    expect(r.json).toEqual({
      errors: [
        {
          code: 'ValidationException',
          status: '422',
          detail: 'The is_locked field must be true or false.',
          meta: { source_field: 'is_locked', rule: 'boolean' },
        },
      ],
    });
    for (const ok of [true, false, 0, 1, '0', '1']) {
      expect((await api(sim, 'POST', B(), { body: { is_locked: ok } })).status, String(ok)).not.toBe(422);
      sim.settings.throttlePeriodSec = 0;
    }
  });

  it('name max 191 (pterodactyl) and 255 (pelican); ignored must be a string', async () => {
    sim.settings.throttlePeriodSec = 0;
    let r = await api(sim, 'POST', B(), { body: { name: 'x'.repeat(192), ignored: ['a'] } });
    expect(r.status).toBe(422);
    expect(r.json.errors.map((e: any) => e.detail)).toEqual([
      'The name may not be greater than 191 characters.',
      'The ignored must be a string.',
    ]);
    expect((await api(sim, 'POST', B(), { body: { name: 'x'.repeat(191) } })).status).toBe(200);
    await boot({ flavor: 'pelican' });
    r = await api(sim, 'POST', B(), { body: { name: 'x'.repeat(256) } });
    expect(err(r).detail).toBe('The name may not be greater than 255 characters.');
    expect((await api(sim, 'POST', B(), { body: { name: 'x'.repeat(255) } })).status).toBe(200);
  });

  it('malformed JSON is a 400 with the parser message', async () => {
    const r = await api(sim, 'POST', B(), { raw: '{"name":' });
    expect(r.status).toBe(400);
    expect(err(r)).toEqual({
      code: 'BadRequestHttpException',
      status: '400',
      detail: 'The JSON data passed in the request appears to be malformed: Syntax error',
    });
  });

  it('trims strings, turns "" into null, splits ignored on \\n, and names an unnamed backup', async () => {
    sim.settings.throttlePeriodSec = 0;
    const a = await createBackup({ name: '  nightly  ', ignored: '\n*.log\n\ncache/\n' });
    expect(a.name).toBe('nightly');
    expect(a.ignored_files).toEqual(['*.log', 'cache/']);
    const b = await createBackup({ name: '   ' });
    expect(b.name).toMatch(/^Backup at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(b).toMatchObject({ is_successful: false, checksum: null, bytes: 0, completed_at: null, is_locked: false });
    expect(b).not.toHaveProperty('is_scheduled');
  });

  it('honours is_locked only with backup.delete', async () => {
    sim.settings.throttlePeriodSec = 0;
    expect((await createBackup({ is_locked: true })).is_locked).toBe(true);
    const { apiKey } = sim.addUser({ permissions: ['backup.create', 'backup.read'] });
    expect((await createBackup({ is_locked: true }, apiKey)).is_locked).toBe(false);
  });

  it('created_at uses the panel timezone offset', async () => {
    await boot({ timezoneOffsetMinutes: -330 });
    const b = sim.addBackup(srv.identifier, { createdAt: new Date('2026-01-01T12:00:00Z') });
    expect(b.created_at).toBe('2026-01-01T06:30:00-05:30');
  });
});

describe('creation: throttle, limit, completion', () => {
  it('checks the throttle before the limit, with Retry-After', async () => {
    sim.server(srv.identifier).backupLimit = 2;
    await createBackup();
    await createBackup();
    const r = await api(sim, 'POST', B(), { body: {} });
    expect(r.status).toBe(429);
    expect(err(r)).toEqual({
      code: 'TooManyRequestsHttpException',
      status: '429',
      detail: 'Only 2 backups may be generated within a 600 second span of time.',
    });
    const retry = Number(r.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(597);
    expect(retry).toBeLessThanOrEqual(600);
    expect(r.headers.get('x-ratelimit-remaining')).not.toBeNull();
    sim.settings.throttlePeriodSec = 0;
    const limit = await api(sim, 'POST', B(), { body: {} });
    expect(limit.status).toBe(400);
    expect(err(limit)).toEqual({
      code: 'TooManyBackupsException',
      status: '400',
      detail: 'Cannot create a new backup, this server has reached its limit of 2 backups.',
    });
  });

  it('limit 0 disables backups; failed backups free a slot and do not count for the throttle', async () => {
    sim.server(srv.identifier).backupLimit = 0;
    expect(err(await api(sim, 'POST', B(), { body: {} })).detail).toBe(
      'Cannot create a new backup, this server has reached its limit of 0 backups.',
    );
    sim.server(srv.identifier).backupLimit = 1;
    sim.addBackup(srv.identifier, { state: 'failed' });
    sim.addBackup(srv.identifier, { state: 'failed' });
    expect((await api(sim, 'POST', B(), { body: {} })).status).toBe(200);
  });

  it('soft-deleted backups still count for the throttle on pterodactyl, not on pelican', async () => {
    sim.addBackup(srv.identifier, { deleted: true });
    sim.addBackup(srv.identifier, { deleted: true });
    expect((await api(sim, 'POST', B(), { body: {} })).status).toBe(429);
    await boot({ flavor: 'pelican' });
    sim.addBackup(srv.identifier, { deleted: true });
    sim.addBackup(srv.identifier, { deleted: true });
    expect((await api(sim, 'POST', B(), { body: {} })).status).toBe(200);
  });

  it('completes with sha1:<hex of the archive>; failure unlocks', async () => {
    const b = await createBackup({ is_locked: true });
    await waitDone(b.uuid);
    const done = sim.backup(b.uuid)!;
    expect(done.is_successful).toBe(true);
    expect(done.bytes).toBe(200_000);
    expect(done.checksum).toBe(`sha1:${sha1(archiveBytes(b.uuid, 0, 200_000))}`);
    expect(done.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    sim.server(srv.identifier).backupOutcome = 'failure';
    const f = await createBackup({ is_locked: true });
    await waitDone(f.uuid);
    expect(sim.backup(f.uuid)).toMatchObject({ is_successful: false, checksum: null, bytes: 0, is_locked: false });
    expect(sim.serverEvents(srv.identifier).some((e) => e.kind === 'backup:complete')).toBe(true);
  });

  it('a stuck backup stays pending', async () => {
    sim.settings.backupOutcome = 'stuck';
    const b = await createBackup();
    await sleep(120);
    expect(sim.backup(b.uuid)!.completed_at).toBeNull();
  });

  it('logs server:backup.start', async () => {
    await createBackup({ name: 'n' });
    expect(sim.activity(srv.identifier)[0]).toMatchObject({ event: 'server:backup.start', properties: { name: 'n', locked: false } });
  });
});

describe('list pagination', () => {
  beforeEach(() => {
    for (let i = 0; i < 45; i++) sim.addBackup(srv.identifier, { name: `b${i}`, state: i === 0 ? 'failed' : 'successful' });
  });

  it('defaults to 20 per page, oldest first, with absolute links carrying only ?page', async () => {
    const r = await api(sim, 'GET', `${B()}?page=2&per_page=20`);
    expect(r.json.data.map((d: any) => d.attributes.name)[0]).toBe('b20');
    const base = `${sim.panelUrl}/api/client/servers/${srv.identifier}/backups`;
    expect(r.json.meta).toEqual({
      backup_count: 44,
      pagination: {
        total: 45,
        count: 20,
        per_page: 20,
        current_page: 2,
        total_pages: 3,
        links: { previous: `${base}?page=1`, next: `${base}?page=3` },
      },
    });
    const first = await api(sim, 'GET', B());
    expect(first.json.meta.pagination.links).toEqual({ next: `${base}?page=2` });
    expect(first.text).toContain('\\/api\\/client'); // PHP json_encode escapes slashes
  });

  it.each([
    ['per_page=0', 15, 1],
    ['per_page=100', 50, 1],
    ['per_page=abc', 50, 1],
    ['per_page=7&page=0', 7, 1],
    ['per_page=7&page=-3', 7, 1],
    ['per_page=7&page=x', 7, 1],
  ])('%s', async (q, perPage, page) => {
    const r = await api(sim, 'GET', `${B()}?${q}`);
    expect(r.json.meta.pagination.per_page).toBe(perPage);
    expect(r.json.meta.pagination.current_page).toBe(page);
  });

  it('a page past the end is empty with a previous link', async () => {
    const r = await api(sim, 'GET', `${B()}?per_page=50&page=5`);
    expect(r.json.data).toEqual([]);
    expect(r.json.meta.pagination).toMatchObject({ count: 0, current_page: 5, total_pages: 1 });
    expect(Object.keys(r.json.meta.pagination.links)).toEqual(['previous']);
    const single = await api(sim, 'GET', `${B()}?per_page=50`);
    expect(single.json.meta.pagination.links).toEqual({});
  });
});

describe('lock and delete', () => {
  it('lock toggles in any state and needs backup.delete', async () => {
    const pending = sim.addBackup(srv.identifier, { state: 'pending' });
    const r1 = await api(sim, 'POST', `${B()}/${pending.uuid}/lock`);
    expect(r1.status).toBe(200);
    expect(r1.json.attributes.is_locked).toBe(true);
    expect((await api(sim, 'POST', `${B()}/${pending.uuid}/lock`)).json.attributes.is_locked).toBe(false);
    const { apiKey } = sim.addUser({ permissions: ['backup.read'] });
    expect((await api(sim, 'POST', `${B()}/${pending.uuid}/lock`, { key: apiKey })).status).toBe(403);
    expect(sim.activity(srv.identifier).map((a) => a.event).slice(0, 2)).toEqual(['server:backup.unlock', 'server:backup.lock']);
  });

  it('a locked successful backup cannot be deleted; locked failed/in-progress ones can; a second delete is 404', async () => {
    const locked = sim.addBackup(srv.identifier, { locked: true });
    const r = await api(sim, 'DELETE', `${B()}/${locked.uuid}`);
    expect(r.status).toBe(400);
    expect(err(r)).toEqual({ code: 'BackupLockedException', status: '400', detail: 'Cannot delete a backup that is marked as locked.' });
    for (const state of ['failed', 'pending'] as const) {
      const b = sim.addBackup(srv.identifier, { locked: true, state });
      const d = await api(sim, 'DELETE', `${B()}/${b.uuid}`);
      expect(d.status).toBe(204);
      expect(d.text).toBe('');
      expect((await api(sim, 'DELETE', `${B()}/${b.uuid}`)).status).toBe(404);
      expect(sim.backup(b.uuid)).toBeUndefined();
      expect(sim.backup(b.uuid, { includeDeleted: true })).toBeDefined();
    }
    expect(sim.activity(srv.identifier)[0]).toMatchObject({ event: 'server:backup.delete', properties: { failed: true } });
  });

  it('pelican renames (backup.delete) and hard-deletes', async () => {
    await boot({ flavor: 'pelican' });
    const b = sim.addBackup(srv.identifier);
    const r = await api(sim, 'PUT', `${B()}/${b.uuid}/rename`, { body: { name: 'renamed' } });
    expect(r.status).toBe(200);
    expect(r.json.attributes).toMatchObject({ name: 'renamed', is_scheduled: false });
    expect(err(await api(sim, 'PUT', `${B()}/${b.uuid}/rename`, { body: {} })).detail).toBe('The name field is required.');
    expect((await api(sim, 'DELETE', `${B()}/${b.uuid}`)).status).toBe(204);
    expect(sim.backup(b.uuid, { includeDeleted: true })).toBeUndefined();
  });
});

describe('downloads (Wings)', () => {
  async function signedUrl(uuid: string): Promise<string> {
    const r = await api(sim, 'GET', `${B()}/${uuid}/download`);
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('signed_url');
    return r.json.attributes.url as string;
  }

  it('serves the archive once, with the JWT claims of the docs', async () => {
    const b = sim.addBackup(srv.identifier);
    const url = await signedUrl(b.uuid);
    expect(url.startsWith(`${sim.wingsUrl}/download/backup?token=`)).toBe(true);
    const claims = JSON.parse(Buffer.from(url.split('token=')[1]!.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ backup_uuid: b.uuid, server_uuid: srv.uuid, iss: sim.panelUrl });
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.unique_id).toMatch(/^[A-Za-z0-9]{16}$/);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(404); // not routed, does not consume
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${b.uuid}.tar.gz"`);
    expect(res.headers.get('content-length')).toBe(String(b.bytes));
    expect(res.headers.get('accept-ranges')).toBeNull();
    const body = Buffer.from(await res.arrayBuffer());
    expect(`sha1:${sha1(body)}`).toBe(b.checksum);
    const again = await fetch(url);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: 'The requested resource was not found on this server.' });
    expect(sim.activity(srv.identifier)[0]!.event).toBe('server:backup.download');
    const rec = sim.requests.filter((r) => r.route === 'wings.download');
    expect(rec.map((r) => r.status)).toEqual([404, 200, 404]);
    expect(rec.every((r) => r.headers['authorization'] === undefined)).toBe(true);
  });

  it('a bad or expired token is a 500 with a request id', async () => {
    const b = sim.addBackup(srv.identifier);
    const url = await signedUrl(b.uuid);
    const bad = await fetch(url.slice(0, -3) + 'xyz');
    expect(bad.status).toBe(500);
    const j = (await bad.json()) as any;
    expect(j.error).toBe('An unexpected error was encountered while processing this request');
    expect(j.request_id).toMatch(/^[0-9a-f-]{36}$/);
    sim.settings.downloadTokenLifetimeSec = -1;
    expect((await fetch(await signedUrl(b.uuid))).status).toBe(500);
  });

  it('failed or deleted backups: 404 backup not found, and the token is consumed', async () => {
    const failed = sim.addBackup(srv.identifier, { state: 'failed' });
    const url = await signedUrl(failed.uuid);
    const r = await fetch(url);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'The requested backup was not found on this server.' });
    expect(((await (await fetch(url)).json()) as any).error).toBe('The requested resource was not found on this server.');
    const gone = sim.addBackup(srv.identifier);
    const url2 = await signedUrl(gone.uuid);
    await api(sim, 'DELETE', `${B()}/${gone.uuid}`);
    expect((await fetch(url2)).status).toBe(404);
  });

  it('an in-progress backup downloads as a truncated archive', async () => {
    // Long enough that the download surely starts mid-backup however slow the machine.
    sim.settings.backupDurationMs = 60_000;
    const b = await createBackup();
    await sleep(300);
    const res = await fetch(await signedUrl(b.uuid));
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect(body.length).toBeGreaterThan(0);
    expect(body.length).toBeLessThan(200_000);
  });

  it('truncate and corrupt faults', async () => {
    const b = sim.addBackup(srv.identifier);
    sim.fault({ route: 'wings.download', kind: 'truncate', afterBytes: 1000 });
    const res = await fetch(await signedUrl(b.uuid));
    expect(res.headers.get('content-length')).toBe(String(b.bytes));
    await expect(res.arrayBuffer()).rejects.toThrow();
    sim.fault({ route: 'wings.download', kind: 'corrupt' });
    const body = Buffer.from(await (await fetch(await signedUrl(b.uuid))).arrayBuffer());
    expect(body.length).toBe(b.bytes);
    expect(`sha1:${sha1(body)}`).not.toBe(b.checksum);
  });
});

describe('downloads (S3 mode)', () => {
  it('presigned URLs are reusable for 5 minutes, support Range, and expire with an XML error', async () => {
    await boot({ s3: true });
    const b = sim.addBackup(srv.identifier);
    const url = (await api(sim, 'GET', `${B()}/${b.uuid}/download`)).json.attributes.url as string;
    expect(url.startsWith(`${sim.s3Url}/`)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
    for (let i = 0; i < 2; i++) {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(`sha1:${sha1(body)}`).toBe(b.checksum);
    }
    const part = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(archiveBytes(b.uuid, 10, 20));
    const withAuth = await fetch(url, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    expect(withAuth.status).toBe(400);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 301_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  });
});

describe('websocket', () => {
  async function token(key = sim.apiKey): Promise<{ token: string; socket: string }> {
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/websocket`, { key });
    expect(r.status).toBe(200);
    return r.json.data;
  }

  it('needs websocket.connect for a token', async () => {
    const { apiKey } = sim.addUser({ permissions: ['backup.read'] });
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/websocket`, { key: apiKey });
    expect(r.status).toBe(403);
    expect(err(r).detail).toBe("You do not have permission to connect to this server's websocket.");
    const t = await token();
    expect(t.socket).toBe(`${sim.wingsUrl.replace('http', 'ws')}/api/servers/${srv.uuid}/ws`);
  });

  it('checks the Origin exactly, before the upgrade', async () => {
    const { socket } = await token();
    for (const origin of [undefined, `${sim.panelUrl}/`, 'http://evil.example']) {
      const e = await connectWs(socket, origin).then(
        () => null,
        (x: any) => x,
      );
      expect(e?.statusCode, String(origin)).toBe(403);
    }
    const unknown = await connectWs(`${sim.wingsUrl.replace('http', 'ws')}/api/servers/${'0'.repeat(8)}-0000-4000-8000-000000000000/ws`, sim.panelUrl).catch((x: any) => x);
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: 'The requested resource does not exist on this instance.' });
    expect(sim.requests.filter((r) => r.route === 'wings.ws').map((r) => r.status)).toEqual([403, 403, 403, 404]);
  });

  it('with a path prefix the Origin keeps the prefix', async () => {
    await boot({ pathPrefix: '/panel' });
    expect(sim.panelUrl).toMatch(/\/panel$/);
    const ws = await authedWs(sim, srv.identifier);
    sockets.push(ws);
  });

  it('auth → auth success, status; early events get jwt error, a token that does not verify a daemon error, without closing', async () => {
    const { socket, token: jwt } = await token();
    const ws = await connectWs(socket, sim.panelUrl);
    sockets.push(ws);
    ws.send('send stats');
    expect(await ws.next()).toEqual({ event: 'jwt error', args: ['jwt: no jwt present'] });
    ws.send('auth', ['not.a.jwt']);
    expect(await ws.next()).toEqual({
      event: 'daemon error',
      args: [expect.stringMatching(/^Error Event \[[0-9a-f-]{36}\]: an unexpected error was encountered while handling this request$/)],
    });
    ws.ws.send('this is not json');
    ws.send('auth', [jwt]);
    expect(await ws.next()).toEqual({ event: 'auth success' });
    expect(await ws.next()).toEqual({ event: 'status', args: ['running'] });
    expect(ws.ws.readyState).toBe(ws.ws.OPEN);
  });

  it('delivers backup completed with a JSON string payload to backup.read holders only', async () => {
    const owner = await authedWs(sim, srv.identifier);
    const { apiKey } = sim.addUser({ permissions: ['websocket.connect'] });
    const sub = await authedWs(sim, srv.identifier, apiKey);
    sockets.push(owner, sub);
    const b = await createBackup();
    const f = await owner.next((x) => x.event.startsWith('backup'));
    expect(f.event).toBe('backup completed');
    const payload = JSON.parse(f.args![0]!);
    await waitDone(b.uuid);
    expect(payload).toEqual({
      checksum: sim.backup(b.uuid)!.checksum!.slice(5),
      checksum_type: 'sha1',
      file_size: 200_000,
      is_successful: true,
      uuid: b.uuid,
    });
    await sleep(50);
    expect(sub.frames.some((x) => x.event.startsWith('backup'))).toBe(false);
  });

  it('legacy event name, dropped events, and pushed events', async () => {
    const ws = await authedWs(sim, srv.identifier);
    sockets.push(ws);
    sim.settings.legacyBackupEventName = true;
    const a = await createBackup();
    expect((await ws.next((x) => x.event.startsWith('backup'))).event).toBe(`backup completed:${a.uuid}`);
    sim.settings.legacyBackupEventName = false;
    sim.fault({ route: 'wings.ws.event', kind: 'drop-event' });
    sim.settings.throttlePeriodSec = 0;
    const b = await createBackup();
    await waitDone(b.uuid);
    sim.emitBackupEvent(srv.identifier, { uuid: 'x', is_successful: false });
    const f = await ws.next((x) => x.event.startsWith('backup'));
    expect(JSON.parse(f.args![0]!)).toMatchObject({ uuid: 'x', is_successful: false, checksum: '', file_size: 0 });
  });

  it('token expiring, then jwt error instead of events once expired; re-auth refreshes', async () => {
    sim.settings.wsExpiryCheckMs = 30;
    sim.settings.wsTokenLifetimeSec = 50;
    const ws = await authedWs(sim, srv.identifier);
    sockets.push(ws);
    expect((await ws.next((x) => x.event !== 'stats' && x.event !== 'status')).event).toBe('token expiring');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60_000);
    sim.emitWsEvent(srv.identifier, 'console output', ['hello']);
    expect(await ws.next((x) => x.event !== 'token expiring' && x.event !== 'stats')).toEqual({ event: 'jwt error', args: ['jwt: exp claim is invalid'] });
    vi.useRealTimers();
    ws.send('auth', [(await token()).token]);
    await ws.next((x) => x.event === 'auth success');
    sim.emitWsEvent(srv.identifier, 'console output', ['again']);
    expect(await ws.next((x) => x.event === 'console output')).toEqual({ event: 'console output', args: ['again'] });
  });

  it('throttles auth and caps connections per server', async () => {
    const t = await token();
    const ws = await connectWs(t.socket, sim.panelUrl);
    sockets.push(ws);
    for (let i = 0; i < 3; i++) ws.send('auth', [t.token]);
    await until(() => ws.frames.some((f) => f.event === 'throttled'));
    expect(ws.frames.find((f) => f.event === 'throttled')).toEqual({ event: 'throttled', args: ['auth'] });
    sim.settings.wsMaxConnections = 2;
    sockets.push(await connectWs(t.socket, sim.panelUrl));
    const e = await connectWs(t.socket, sim.panelUrl).catch((x: any) => x);
    expect(e.statusCode).toBe(400);
    expect(JSON.parse(e.body)).toEqual({ error: 'Too many open websocket connections.' });
    expect(sim.wsConnections(srv.identifier)).toBe(2);
  });
});

describe('restore', () => {
  it('wipes files before stopping, 409s everything but server.view, leaves the server offline', async () => {
    sim.settings.restoreDurationMs = 400;
    const b = sim.addBackup(srv.identifier);
    const ws = await authedWs(sim, srv.identifier);
    sockets.push(ws);
    const r = await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: { truncate: true } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const view = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(view.json.attributes.status).toBe('restoring_backup');
    for (const path of [B(), `${B()}/${b.uuid}`, `/servers/${srv.identifier}/resources`, `/servers/${srv.identifier}/activity`]) {
      const c = await api(sim, 'GET', path);
      expect(c.status).toBe(409);
      expect(err(c).detail).toBe('This server is currently restoring from a backup, please try again later.');
    }
    await ws.next((f) => f.event === 'backup restore completed');
    expect(sim.server(srv.identifier)).toMatchObject({ status: null, power: 'offline', filesPresent: true });
    const kinds = sim.serverEvents(srv.identifier).map((e) => e.kind);
    expect(kinds.indexOf('files:truncated')).toBeLessThan(kinds.indexOf('power:stop'));
    expect(sim.serverEvents(srv.identifier).find((e) => e.kind === 'restore:start')!.detail).toMatchObject({ power: 'running', truncate: true });
    expect(kinds).toContain('restore:finish');
    expect(kinds.filter((k) => k === 'power:start')).toEqual([]);
    expect(sim.activity(srv.identifier).map((a) => a.event).slice(0, 2)).toEqual(['server:backup.restore-complete', 'server:backup.restore']);
    expect(ws.frames.some((f) => f.event === 'daemon message' && f.args![0] === 'Completed server restoration from local backup.')).toBe(true);
  });

  it('a failed restore is only visible in the activity log', async () => {
    sim.settings.restoreOutcome = 'failure';
    const b = sim.addBackup(srv.identifier);
    await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: { truncate: false } });
    await until(() => sim.server(srv.identifier).status === null);
    expect(sim.activity(srv.identifier)[0]!.event).toBe('server.backup.restore-failed');
  });

  it('panel checks: truncate required, server status, in-progress backup', async () => {
    const b = sim.addBackup(srv.identifier);
    const v = await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: {} });
    expect(v.json.errors[0]).toEqual({
      code: 'ValidationException',
      status: '422',
      detail: 'The truncate field is required.',
      meta: { source_field: 'truncate', rule: 'required' },
    });
    const pending = sim.addBackup(srv.identifier, { state: 'pending' });
    const p = await api(sim, 'POST', `${B()}/${pending.uuid}/restore`, { body: { truncate: false } });
    expect(p.status).toBe(400);
    expect(err(p)).toEqual({ code: 'BadRequestHttpException', status: '400', detail: 'This backup cannot be restored at this time: not completed or failed.' });
    sim.server(srv.identifier).status = 'reinstall_failed';
    const s = await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: { truncate: false } });
    expect(err(s).detail).toBe('This server is not currently in a state that allows for a backup to be restored.');
  });

  it('a failed backup passes the panel, wipes the files at Wings and then fails there', async () => {
    const failed = sim.addBackup(srv.identifier, { state: 'failed' });
    const r = await api(sim, 'POST', `${B()}/${failed.uuid}/restore`, { body: { truncate: true } });
    expect(r.status).toBe(404);
    expect(err(r).code).toBe('DaemonConnectionException');
    expect(err(r).detail).toMatch(/^An error occurred on the remote host: The requested resources was not found on the system\.\. \(request id: [0-9a-f-]{36}\)$/);
    expect(sim.server(srv.identifier)).toMatchObject({ status: null, filesPresent: false, power: 'running' });
    expect(sim.serverEvents(srv.identifier).map((e) => e.kind)).toContain('files:truncated');
  });

  it('pelican throttles restores to 3 per 15 minutes per server', async () => {
    await boot({ flavor: 'pelican' });
    sim.settings.restoreDurationMs = 0;
    sim.server(srv.identifier).power = 'offline';
    const b = sim.addBackup(srv.identifier);
    for (let i = 0; i < 3; i++) {
      expect((await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: { truncate: false } })).status).toBe(204);
      await until(() => sim.server(srv.identifier).status === null);
    }
    const r = await api(sim, 'POST', `${B()}/${b.uuid}/restore`, { body: { truncate: false } });
    expect(r.status).toBe(429);
    expect(err(r).code).toBe('ThrottleRequestsException');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(800);
  });
});

describe('power and resources', () => {
  const P = (): string => `/servers/${srv.identifier}/power`;
  const state = async (): Promise<string> => (await api(sim, 'GET', `/servers/${srv.identifier}/resources`)).json.attributes.current_state;

  it('stop → stopping → offline; start → starting → running; kill', async () => {
    sim.settings.resourcesCacheMs = 0; // every state as it happens
    // Long enough that the read right after the POST surely sees the transition state.
    sim.settings.stopDurationMs = 1_500;
    sim.settings.startDurationMs = 1_500;
    expect((await api(sim, 'POST', P(), { body: { signal: 'stop' } })).status).toBe(204);
    expect(await state()).toBe('stopping');
    await until(async () => (await state()) === 'offline', 10_000);
    await api(sim, 'POST', P(), { body: { signal: 'start' } });
    expect(await state()).toBe('starting');
    await until(async () => (await state()) === 'running', 10_000);
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/resources`);
    expect(r.json).toMatchObject({ object: 'stats', attributes: { is_suspended: false, resources: { memory_bytes: expect.any(Number) } } });
    sim.settings.wontStop = true;
    await api(sim, 'POST', P(), { body: { signal: 'stop' } });
    await sleep(100);
    expect(await state()).toBe('stopping');
    await api(sim, 'POST', P(), { body: { signal: 'kill' } });
    expect(await state()).toBe('offline');
    expect(sim.activity(srv.identifier).map((a) => a.event)).toContain('server:power.kill');
  });

  it('validation and permissions per signal', async () => {
    const bad = await api(sim, 'POST', P(), { body: { signal: 'explode' } });
    expect(bad.status).toBe(422);
    expect(err(bad).detail).toBe('The selected signal is invalid.');
    const { apiKey } = sim.addUser({ permissions: ['control.stop'] });
    expect((await api(sim, 'POST', P(), { key: apiKey, body: { signal: 'explode' } })).status).toBe(403);
    expect((await api(sim, 'POST', P(), { key: apiKey, body: { signal: 'start' } })).status).toBe(403);
    expect((await api(sim, 'POST', P(), { key: apiKey, body: { signal: 'kill' } })).status).toBe(204);
  });

  it('resources may be stale while the panel cache holds', async () => {
    sim.settings.resourcesCacheMs = 1000;
    expect(await state()).toBe('running');
    await api(sim, 'POST', P(), { body: { signal: 'kill' } });
    expect(await state()).toBe('running');
    await sleep(1050);
    expect(await state()).toBe('offline');
  });
});

describe('faults and limits', () => {
  it('reset-after processes the request fully; reset-before does not', async () => {
    sim.fault({ route: 'backups.create', kind: 'reset-after' });
    await expect(api(sim, 'POST', B(), { body: { name: 'ghost' } })).rejects.toThrow();
    expect((await api(sim, 'GET', B())).json.data.map((d: any) => d.attributes.name)).toEqual(['ghost']);
    sim.fault({ route: 'backups.create', kind: 'reset-before' });
    await expect(api(sim, 'POST', B(), { body: { name: 'never' } })).rejects.toThrow();
    expect((await api(sim, 'GET', B())).json.data).toHaveLength(1);
    expect(sim.requests.filter((r) => r.route === 'backups.create').map((r) => r.status)).toEqual([0, 0]);
  });

  it('status, html, delay and rate-limit faults', async () => {
    sim.fault({ route: 'backups.list', kind: 'status', status: 502, body: 'Bad Gateway', times: 2 });
    expect((await api(sim, 'GET', B())).text).toBe('Bad Gateway');
    expect((await api(sim, 'GET', B())).status).toBe(502);
    expect((await api(sim, 'GET', B())).status).toBe(200);
    sim.fault({ route: ['backups.list', 'server.view'], kind: 'html', status: 503 });
    const h = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(h.headers.get('content-type')).toBe('text/html');
    sim.fault({ route: 'backups.list', kind: 'delay', ms: 150 });
    const t0 = Date.now();
    await api(sim, 'GET', B());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    sim.fault({ route: 'backups.list', kind: 'rate-limit', retryAfterSec: 7 });
    const rl = await api(sim, 'GET', B());
    expect(rl.status).toBe(429);
    expect(err(rl)).toEqual({ code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' });
    expect(rl.headers.get('retry-after')).toBe('7');
    expect(rl.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(rl.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });

  it('daemon errors roll the create back with the exact messages', async () => {
    sim.fault({ route: 'backups.create', kind: 'daemon-error' });
    const r = await api(sim, 'POST', B(), { body: {} });
    expect(r.status).toBe(504);
    expect(err(r)).toEqual({
      code: 'DaemonConnectionException',
      status: '504',
      detail: 'Could not establish a connection to the machine running this server. Please try again.',
    });
    sim.fault({ route: 'backups.create', kind: 'daemon-error', status: 500 });
    expect(err(await api(sim, 'POST', B(), { body: {} })).detail).toMatch(
      /^There was an error while communicating with the machine running this server\. This error has been logged, please try again\. \(code: 500\) \(request_id: .+\)$/,
    );
    sim.fault({ route: 'backups.create', kind: 'daemon-error', status: 200 });
    expect((await api(sim, 'POST', B(), { body: {} })).status).toBe(502);
    expect((await api(sim, 'GET', B())).json.data).toEqual([]);
    // A 404 from Wings on delete is ignored.
    const b = sim.addBackup(srv.identifier);
    sim.fault({ route: 'backups.delete', kind: 'daemon-error', status: 404 });
    expect((await api(sim, 'DELETE', `${B()}/${b.uuid}`)).status).toBe(204);
  });

  it('general rate limit per user with X-RateLimit headers', async () => {
    sim.settings.rateLimitPerMinute = 3;
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await api(sim, 'GET', B())).headers.get('x-ratelimit-remaining'));
    expect(remaining).toEqual(['2', '1', '0']);
    const r = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(r.status).toBe(429);
    expect(err(r).code).toBe('ThrottleRequestsException');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(r.headers.get('x-ratelimit-limit')).toBe('3');
    expect(r.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
    const other = sim.addUser({ permissions: ['backup.read'] });
    expect((await api(sim, 'GET', B(), { key: other.apiKey })).status).toBe(200);
  });

  it('records requests with route, query, lower-case headers and parsed body', async () => {
    sim.clearRequests();
    await api(sim, 'POST', `${B()}?x=1`, { body: { name: 'r' }, headers: { 'X-Custom': 'v' } });
    expect(sim.requests[0]).toMatchObject({
      route: 'backups.create',
      method: 'POST',
      path: `/api/client/servers/${srv.identifier}/backups`,
      query: { x: '1' },
      body: { name: 'r' },
      status: 200,
    });
    expect(sim.requests[0]!.headers['x-custom']).toBe('v');
  });
});

describe('activity, client index, server view', () => {
  it('activity: newest first, filter[event], per_page, activity.read', async () => {
    const b = sim.addBackup(srv.identifier);
    await api(sim, 'POST', `${B()}/${b.uuid}/lock`);
    await api(sim, 'POST', `/servers/${srv.identifier}/power`, { body: { signal: 'kill' } });
    const all = await api(sim, 'GET', `/servers/${srv.identifier}/activity`);
    expect(all.json.data.map((d: any) => d.attributes.event)).toEqual(['server:power.kill', 'server:backup.lock']);
    expect(all.json.data[0].attributes.properties).toEqual([]);
    expect(all.json.meta.pagination.per_page).toBe(25);
    const f = await api(sim, 'GET', `/servers/${srv.identifier}/activity?filter[event]=BACKUP&per_page=500`);
    expect(f.json.data.map((d: any) => d.attributes.event)).toEqual(['server:backup.lock']);
    expect(f.json.meta.pagination.per_page).toBe(100);
    const { apiKey } = sim.addUser({ permissions: ['backup.read'] });
    expect((await api(sim, 'GET', `/servers/${srv.identifier}/activity`, { key: apiKey })).status).toBe(403);
  });

  it('client index lists what the key can see, 50 per page by default', async () => {
    const { apiKey } = sim.addUser({ permissions: ['backup.read'] });
    sim.addServer({ visibleTo: [sim.apiKey] });
    expect((await api(sim, 'GET', '')).json.meta.pagination).toMatchObject({ total: 2, per_page: 50 });
    const sub = await api(sim, 'GET', '?per_page=500', { key: apiKey });
    expect(sub.json.meta.pagination).toMatchObject({ total: 1, per_page: 100 });
    expect(sub.json.data[0].attributes).toMatchObject({ identifier: srv.identifier, server_owner: false });
  });

  it('server view: permissions meta for owner and subuser', async () => {
    const owner = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(owner.json.meta).toEqual({ is_server_owner: true, user_permissions: ['*'] });
    expect(owner.json.attributes.feature_limits.backups).toBe(10);
    const { apiKey } = sim.addUser({ permissions: ['backup.read', 'backup.create'] });
    const sub = await api(sim, 'GET', `/servers/${srv.identifier}`, { key: apiKey });
    expect(sub.json.meta).toEqual({ is_server_owner: false, user_permissions: ['backup.read', 'backup.create'] });
  });
});

describe('archives', () => {
  it('are deterministic, random-access and hashed by streaming', () => {
    const whole = archiveBytes('seed', 0, 300_000);
    expect(whole.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(archiveBytes('seed', 12_345, 54_321)).toEqual(whole.subarray(12_345, 54_321));
    expect(archiveSha1Sync('seed', 300_000)).toBe(sha1(whole));
    expect(archiveBytes('other', 0, 100)).not.toEqual(whole.subarray(0, 100));
  });
});
