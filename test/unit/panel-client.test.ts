import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { HttpTransport } from '../../src/http/transport.js';
import { PanelClient } from '../../src/panel/client.js';
import { PanelError } from '../../src/panel/errors.js';
import { NetworkError } from '../../src/http/network-error.js';
import { RateBudget } from '../../src/http/rate-budget.js';
import { until } from '../support/wait-until.ts';

const ORIGIN = 'https://panel.example.com';
const KEY = 'ptlc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const SERVER = '1a2b3c4d';

function backupAttributes(uuid: string, createdAt: string, extra: Record<string, unknown> = {}) {
  return {
    uuid,
    is_successful: true,
    is_locked: false,
    name: `b-${uuid.slice(-2)}`,
    ignored_files: [],
    checksum: 'sha1:' + 'a'.repeat(40),
    bytes: 10,
    created_at: createdAt,
    completed_at: createdAt,
    ...extra,
  };
}
const uuid = (n: number) => `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;
const page = (items: unknown[], current: number, total: number, backupCount = items.length) => ({
  object: 'list',
  data: items.map((attributes) => ({ object: 'backup', attributes })),
  meta: { backup_count: backupCount, pagination: { total: 0, count: items.length, per_page: 50, current_page: current, total_pages: total, links: {} } },
});
const jsonHeaders = { headers: { 'content-type': 'application/json' } };

let agent: MockAgent;
let sleeps: number[];
let client: PanelClient;

function makeClient(baseUrl = ORIGIN, headers: Record<string, string> = {}) {
  return new PanelClient({
    baseUrl: new URL(baseUrl),
    apiKey: KEY,
    headers,
    transport: new HttpTransport({ userAgent: 'pterodactyl-backup-action/test', dispatcher: agent }),
    signal: new AbortController().signal,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  sleeps = [];
  client = makeClient();
});
afterEach(async () => {
  await agent.close();
});

describe('PanelClient requests', () => {
  it('sends the key as a bearer token, asks for JSON, identifies itself and adds the headers input', async () => {
    let seen: Record<string, string> = {};
    agent
      .get(ORIGIN)
      .intercept({ path: '/panel/api/client/servers/1a2b3c4d/backups', method: 'POST' })
      .reply(200, (opts) => {
        seen = Object.fromEntries(Object.entries(opts.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
        return { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00', { completed_at: null, is_successful: false, checksum: null, bytes: 0 }) };
      }, jsonHeaders);
    const panel = makeClient(`${ORIGIN}/panel`, { 'CF-Access-Client-Id': 'abc.access' });
    const backup = await panel.createBackup(SERVER, { name: 'n', ignored: ['a', 'b/'], locked: true });
    expect(backup.completedAt).toBeNull();
    expect(seen.authorization).toBe(`Bearer ${KEY}`);
    expect(seen.accept).toBe('application/json');
    expect(seen['content-type']).toBe('application/json');
    expect(seen['user-agent']).toBe('pterodactyl-backup-action/test');
    expect(seen['cf-access-client-id']).toBe('abc.access');
  });

  it('sends ignored files as one newline-joined string and is_locked as a JSON boolean', async () => {
    let body: unknown;
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups', method: 'POST' })
      .reply(200, (opts) => {
        body = JSON.parse(String(opts.body));
        return { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00') };
      }, jsonHeaders);
    await client.createBackup(SERVER, { name: 'nightly', ignored: ['*.log', 'cache/'], locked: false });
    expect(body).toEqual({ name: 'nightly', is_locked: false, ignored: '*.log\ncache/' });
  });

  it('reads every page with per_page=50 and sorts newest first by created_at with its offset', async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=1&per_page=50', method: 'GET' })
      .reply(200, page([backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00'), backupAttributes(uuid(2), '2026-11-25T12:30:00+02:00')], 1, 2, 3), jsonHeaders);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=2&per_page=50', method: 'GET' })
      .reply(200, page([backupAttributes(uuid(3), '2026-11-25T11:00:00+00:00')], 2, 2, 3), jsonHeaders);
    const list = await client.listBackups(SERVER);
    // 12:30+02:00 is 10:30 UTC: between the other two.
    expect(list.backups.map((b) => b.uuid)).toEqual([uuid(3), uuid(2), uuid(1)]);
    expect(list.backupCount).toBe(3);
  });

  it('lists a backup that shifted onto the next page while paging only once', async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=1&per_page=50', method: 'GET' })
      .reply(200, page([backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00'), backupAttributes(uuid(2), '2026-11-25T11:00:00+00:00')], 1, 2), jsonHeaders);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=2&per_page=50', method: 'GET' })
      .reply(200, page([backupAttributes(uuid(2), '2026-11-25T11:00:00+00:00'), backupAttributes(uuid(3), '2026-11-25T12:00:00+00:00')], 2, 2), jsonHeaders);
    const list = await client.listBackups(SERVER);
    expect(list.backups.map((b) => b.uuid)).toEqual([uuid(3), uuid(2), uuid(1)]);
  });

  it('stops at an empty page even when the pagination promises more', async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=1&per_page=50', method: 'GET' })
      .reply(200, page([backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00')], 1, 5), jsonHeaders);
    pool.intercept({ path: '/api/client/servers/1a2b3c4d/backups?page=2&per_page=50', method: 'GET' }).reply(200, page([], 2, 5), jsonHeaders);
    // A third request would find no interceptor and fail.
    const list = await client.listBackups(SERVER);
    expect(list.backups.map((b) => b.uuid)).toEqual([uuid(1)]);
  });

  it("ignores a Date header that is not a date (the panel's clock is then unknown)", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' })
      .reply(
        200,
        { object: 'server', attributes: { identifier: SERVER, uuid: uuid(9), name: 'Survival', status: null }, meta: { user_permissions: ['*'] } },
        { headers: { 'content-type': 'application/json', date: 'not a date' } },
      );
    expect((await client.getServer(SERVER)).panelDate).toBeUndefined();
  });

  it("spaces requests by the shared budget once the panel's count runs low", async () => {
    const pool = agent.get(ORIGIN);
    const answer = { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00') };
    const path = '/api/client/servers/1a2b3c4d/backups/' + uuid(1);
    pool.intercept({ path, method: 'GET' }).reply(200, answer, { headers: { 'content-type': 'application/json', 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0' } });
    pool.intercept({ path, method: 'GET' }).reply(200, answer, jsonHeaders).times(2);
    const budgeted = new PanelClient({
      baseUrl: new URL(ORIGIN),
      apiKey: KEY,
      headers: {},
      transport: new HttpTransport({ userAgent: 'pterodactyl-backup-action/test', dispatcher: agent }),
      signal: new AbortController().signal,
      budget: new RateBudget(() => 0),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await budgeted.getBackup(SERVER, uuid(1));
    await budgeted.getBackup(SERVER, uuid(1));
    await budgeted.getBackup(SERVER, uuid(1));
    // None left: the request after the next waits out the window.
    expect(sleeps).toEqual([60_000]);
  });
});

describe('PanelClient retries', () => {
  it('repeats a GET after a 502 with backoff', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/api/client/servers/1a2b3c4d/backups/' + uuid(1), method: 'GET' }).reply(502, '<html><title>502 Bad Gateway</title></html>');
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups/' + uuid(1), method: 'GET' })
      .reply(200, { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00') }, jsonHeaders);
    expect((await client.getBackup(SERVER, uuid(1))).uuid).toBe(uuid(1));
    expect(sleeps).toEqual([750]);
  });

  it('repeats a GET after a connection reset', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/api/client/servers/1a2b3c4d/backups/' + uuid(1), method: 'GET' }).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups/' + uuid(1), method: 'GET' })
      .reply(200, { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00') }, jsonHeaders);
    await client.getBackup(SERVER, uuid(1));
    expect(sleeps).toHaveLength(1);
  });

  it('gives up after five attempts', async () => {
    agent.get(ORIGIN).intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' }).reply(503, '').times(5);
    await expect(client.getServer(SERVER)).rejects.toMatchObject({ status: 503 });
    expect(sleeps).toHaveLength(4);
  });

  it('never re-sends a lock toggle after a 502', async () => {
    agent.get(ORIGIN).intercept({ path: `/api/client/servers/1a2b3c4d/backups/${uuid(1)}/lock`, method: 'POST' }).reply(502, 'bad gateway');
    await expect(client.toggleLock(SERVER, uuid(1))).rejects.toBeInstanceOf(PanelError);
    expect(sleeps).toEqual([]);
  });

  it('never re-sends a create after a reset', async () => {
    agent.get(ORIGIN).intercept({ path: '/api/client/servers/1a2b3c4d/backups', method: 'POST' }).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(client.createBackup(SERVER, { name: 'n', ignored: [], locked: false })).rejects.toBeInstanceOf(NetworkError);
    expect(sleeps).toEqual([]);
  });

  it('waits out the general rate limit even for a create, as long as Retry-After says', async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups', method: 'POST' })
      .reply(429, { errors: [{ code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' }] }, { headers: { 'content-type': 'application/json', 'retry-after': '3' } });
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d/backups', method: 'POST' })
      .reply(200, { object: 'backup', attributes: backupAttributes(uuid(1), '2026-11-25T10:00:00+00:00') }, jsonHeaders);
    await client.createBackup(SERVER, { name: 'n', ignored: [], locked: false });
    expect(sleeps).toEqual([3_125]);
  });

  /** A client whose budget is shared and whose waits end only when the test says (on a virtual clock). */
  function clientWithHeldWaits() {
    const waits: Array<{ ms: number; done: () => void }> = [];
    const clock = { now: 1_000_000 };
    const shared = new PanelClient({
      baseUrl: new URL(ORIGIN),
      apiKey: KEY,
      headers: {},
      transport: new HttpTransport({ userAgent: 'pterodactyl-backup-action/test', dispatcher: agent }),
      signal: new AbortController().signal,
      random: () => 0.5,
      now: () => clock.now,
      budget: new RateBudget(() => clock.now),
      sleep: (ms) => new Promise<void>((done) => waits.push({ ms, done })),
    });
    return { shared, waits, clock };
  }
  const throttled = { errors: [{ code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' }] };
  const throttleHeaders = { headers: { 'content-type': 'application/json', 'retry-after': '3' } };
  const backupOf = (server: string, n: number) => {
    agent.get(ORIGIN).intercept({ path: `/api/client/servers/${server}/backups/${uuid(n)}`, method: 'GET' }).reply(200, { object: 'backup', attributes: backupAttributes(uuid(n), '2026-11-25T10:00:00+00:00') }, jsonHeaders);
  };

  it("holds the run's other requests until the general rate limit resets, not only the one refused", async () => {
    agent.get(ORIGIN).intercept({ path: '/api/client/servers/1a2b3c4d/backups/' + uuid(1), method: 'GET' }).reply(429, throttled, throttleHeaders);
    backupOf('1a2b3c4d', 1);
    backupOf('5e6f7a8b', 2);
    const { shared, waits, clock } = clientWithHeldWaits();

    const first = shared.getBackup(SERVER, uuid(1));
    await until(() => waits.length === 1, "the first request's wait");
    const second = shared.getBackup('5e6f7a8b', uuid(2));
    await until(() => waits.length === 2, "the second request's wait");

    expect(waits.map((wait) => wait.ms)).toEqual([3_125, 3_125]);
    clock.now += 3_125;
    for (const wait of waits) wait.done();
    await Promise.all([first, second]);
    expect(waits).toHaveLength(2);
  });

  it("does not hold other servers for a 429 of a route's per-server throttle (the websocket token)", async () => {
    agent.get(ORIGIN).intercept({ path: '/api/client/servers/1a2b3c4d/websocket', method: 'GET' }).reply(429, throttled, throttleHeaders);
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/client/servers/1a2b3c4d/websocket', method: 'GET' })
      .reply(200, { data: { token: 'eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln', socket: 'wss://node.example.com:8080/api/servers/x/ws' } }, jsonHeaders);
    backupOf('5e6f7a8b', 2);
    const { shared, waits, clock } = clientWithHeldWaits();

    const socket = shared.getWebsocketCredentials(SERVER);
    await until(() => waits.length === 1, "the websocket request's wait");
    await shared.getBackup('5e6f7a8b', uuid(2));

    expect(waits.map((wait) => wait.ms)).toEqual([3_125]);
    clock.now += 3_125;
    waits[0]!.done();
    await socket;
  });

  it('counts a repeated DELETE answered 404 as done', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/api/client/servers/1a2b3c4d/backups/${uuid(1)}`, method: 'DELETE' }).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    pool
      .intercept({ path: `/api/client/servers/1a2b3c4d/backups/${uuid(1)}`, method: 'DELETE' })
      .reply(404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] }, jsonHeaders);
    await expect(client.deleteBackup(SERVER, uuid(1))).resolves.toBeUndefined();
  });

  it('counts a DELETE answered 404 after a 500 as done', async () => {
    const pool = agent.get(ORIGIN);
    const path = `/api/client/servers/1a2b3c4d/backups/${uuid(1)}`;
    pool.intercept({ path, method: 'DELETE' }).reply(500, { errors: [{ code: 'HttpException', status: '500', detail: 'Server Error' }] }, jsonHeaders);
    pool
      .intercept({ path, method: 'DELETE' })
      .reply(404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] }, jsonHeaders);
    await expect(client.deleteBackup(SERVER, uuid(1))).resolves.toBeUndefined();
  });

  it('reports a 404 as an error when the earlier DELETE never reached the panel', async () => {
    const pool = agent.get(ORIGIN);
    const path = `/api/client/servers/1a2b3c4d/backups/${uuid(1)}`;
    pool.intercept({ path, method: 'DELETE' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    pool
      .intercept({ path, method: 'DELETE' })
      .reply(404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] }, jsonHeaders);
    await expect(client.deleteBackup(SERVER, uuid(1))).rejects.toMatchObject({ status: 404 });
  });

  it('reports a repeated GET answered 404 as an error (only a DELETE succeeds by it)', async () => {
    const pool = agent.get(ORIGIN);
    const path = '/api/client/servers/1a2b3c4d/backups/' + uuid(1);
    pool.intercept({ path, method: 'GET' }).reply(502, 'bad gateway');
    pool
      .intercept({ path, method: 'GET' })
      .reply(404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] }, jsonHeaders);
    await expect(client.getBackup(SERVER, uuid(1))).rejects.toMatchObject({ name: 'PanelError', status: 404 });
  });

  it('does not count rate-limit waits as failed attempts', async () => {
    const pool = agent.get(ORIGIN);
    const throttled = { errors: [{ code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' }] };
    pool.intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' }).reply(429, throttled, { headers: { 'content-type': 'application/json', 'retry-after': '1' } });
    pool.intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' }).reply(503, '').times(4);
    pool
      .intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' })
      .reply(200, { object: 'server', attributes: { identifier: SERVER, uuid: uuid(9), name: 'Survival', status: null } }, jsonHeaders);
    expect((await client.getServer(SERVER)).server.name).toBe('Survival');
    expect(sleeps).toHaveLength(5);
  });

  it('gives up after waiting out the general rate limit 8 times', async () => {
    const throttled = { errors: [{ code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' }] };
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/client/servers/1a2b3c4d', method: 'GET' })
      .reply(429, throttled, { headers: { 'content-type': 'application/json', 'retry-after': '1' } })
      .times(9);
    await expect(client.getServer(SERVER)).rejects.toMatchObject({ status: 429 });
    expect(sleeps).toHaveLength(8);
  });

  it('reports a first DELETE answered 404 as an error', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/api/client/servers/1a2b3c4d/backups/${uuid(1)}`, method: 'DELETE' })
      .reply(404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] }, jsonHeaders);
    await expect(client.deleteBackup(SERVER, uuid(1))).rejects.toMatchObject({ status: 404 });
  });
});
