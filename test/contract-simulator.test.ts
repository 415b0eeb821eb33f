// The simulator's responses have exactly the key sets and JSON types of the responses a real panel
// recorded (test/fixtures/pelican/*.json). The Pterodactyl flavor lacks exactly `is_scheduled`.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../simulator/index.ts';
import type { Flavor, SimServer, Simulator } from '../simulator/index.ts';
import { api, until } from '../simulator/test-client.ts';

function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`./fixtures/pelican/${name}.json`, import.meta.url), 'utf8'));
}

/** Keys whose value may be null on one side and a value on the other (fixture values are artificial). */
const NULLABLE = new Set(['checksum']);

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Differences in key sets and JSON types between `actual` and `expected`, recursively. */
function shapeDiff(actual: unknown, expected: unknown, path = '$'): string[] {
  const key = path.split('.').pop() ?? '';
  const ka = kind(actual);
  const ke = kind(expected);
  if (ka !== ke) {
    if ((ka === 'null' || ke === 'null') && NULLABLE.has(key)) return [];
    return [`${path}: ${ka} instead of ${ke}`];
  }
  if (ka === 'array') {
    const a = actual as unknown[];
    const e = expected as unknown[];
    if (e.length === 0) return [];
    if (a.length === 0) return [`${path}: empty array, fixture has elements`];
    return a.flatMap((item, i) => shapeDiff(item, e[i] ?? e[0], `${path}[${i}]`));
  }
  if (ka === 'object' && key === 'links') {
    // Fractal's paginator links: {} or absolute `previous` / `next` URLs (panel-api.md §3.2).
    return Object.entries(actual as Record<string, unknown>)
      .filter(([k, v]) => !['previous', 'next'].includes(k) || typeof v !== 'string')
      .map(([k]) => `${path}.${k}: unexpected`);
  }
  if (ka === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(e)) if (!(k in a)) out.push(`${path}.${k}: missing`);
    for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: unexpected`);
    for (const k of Object.keys(e)) if (k in a) out.push(...shapeDiff(a[k], e[k], `${path}.${k}`));
    return out;
  }
  return [];
}

/** The fixture as Pterodactyl would show it: no `is_scheduled` on backups. */
function forFlavor(value: any, flavor: Flavor): any {
  if (flavor === 'pelican') return value;
  const copy = structuredClone(value);
  const strip = (v: any): void => {
    if (Array.isArray(v)) v.forEach(strip);
    else if (v && typeof v === 'object') {
      if (v.object === 'backup' && v.attributes) delete v.attributes.is_scheduled;
      Object.values(v).forEach(strip);
    }
  };
  strip(copy);
  return copy;
}

let sim: Simulator;
let srv: SimServer;

afterEach(async () => {
  await sim.close();
});

describe.each(['pelican', 'pterodactyl'] as const)('%s flavor', (flavor) => {
  async function boot(): Promise<void> {
    sim = await startSimulator({ flavor });
    srv = sim.addServer({ name: 'Fixture Server' });
  }

  it('backup index', async () => {
    await boot();
    sim.addBackup(srv.identifier, { name: 'Fixture Backup' });
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/backups`);
    expect(r.status).toBe(200);
    const expected = forFlavor(fixture('backup-index'), flavor);
    expect(shapeDiff(r.json, expected)).toEqual([]);
    expect(Object.keys(r.json.meta)).toEqual(['backup_count', 'pagination']);
    expect(Object.keys(r.json.data[0].attributes)).toEqual(Object.keys(expected.data[0].attributes));
    expect(r.json.data[0].attributes.checksum).toMatch(/^sha1:[0-9a-f]{40}$/);
    if (flavor === 'pterodactyl') expect(r.json.data[0].attributes).not.toHaveProperty('is_scheduled');
  });

  it('backup view (successful, in progress, failed)', async () => {
    await boot();
    const expected = forFlavor(fixture('backup-view'), flavor);
    for (const state of ['successful', 'pending', 'failed'] as const) {
      const b = sim.addBackup(srv.identifier, { state });
      const r = await api(sim, 'GET', `/servers/${srv.identifier}/backups/${b.uuid}`);
      expect(r.status).toBe(200);
      const allowPendingNull = state === 'pending' ? { ...r.json, attributes: { ...r.json.attributes, completed_at: 'x' } } : r.json;
      expect(shapeDiff(allowPendingNull, expected), state).toEqual([]);
    }
  });

  it('backup create and lock answer the same envelope', async () => {
    await boot();
    const expected = forFlavor(fixture('backup-view'), flavor);
    const c = await api(sim, 'POST', `/servers/${srv.identifier}/backups`, { body: { name: 'n' } });
    expect(c.status).toBe(200);
    expect(shapeDiff({ ...c.json, attributes: { ...c.json.attributes, completed_at: 'x' } }, expected)).toEqual([]);
    await until(() => sim.backup(c.json.attributes.uuid)?.completed_at);
    const l = await api(sim, 'POST', `/servers/${srv.identifier}/backups/${c.json.attributes.uuid}/lock`);
    expect(shapeDiff(l.json, expected)).toEqual([]);
  });

  it('server view', async () => {
    await boot();
    const r = await api(sim, 'GET', `/servers/${srv.identifier}`);
    expect(r.status).toBe(200);
    expect(shapeDiff(r.json, fixture('server-view'))).toEqual([]);
    expect(r.json.meta).toEqual({ is_server_owner: true, user_permissions: ['*'] });
  });

  it('client index (per_page=1)', async () => {
    await boot();
    sim.addServer();
    const r = await api(sim, 'GET', '?per_page=1');
    expect(r.status).toBe(200);
    expect(shapeDiff(r.json, fixture('client-index-paginated'))).toEqual([]);
    expect(r.json.meta.pagination).toMatchObject({ total: 2, count: 1, per_page: 1, total_pages: 2 });
  });

  it('activity index', async () => {
    await boot();
    sim.server(srv.identifier).power = 'offline';
    expect((await api(sim, 'POST', `/servers/${srv.identifier}/power`, { body: { signal: 'start' } })).status).toBe(204);
    const r = await api(sim, 'GET', `/servers/${srv.identifier}/activity`);
    expect(r.status).toBe(200);
    expect(shapeDiff(r.json, fixture('activity-index'))).toEqual([]);
    expect(r.json.data[0].attributes).toMatchObject({ event: 'server:power.start', properties: [] });
    expect(r.json.data[0].attributes.id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('envelopes and status codes', async () => {
    await boot();
    const b = sim.addBackup(srv.identifier);
    const base = `/servers/${srv.identifier}`;
    const notFound = await api(sim, 'GET', `${base}/backups/00000000-0000-4000-8000-000000000000`);
    expect(notFound.status).toBe(404);
    expect(shapeDiff(notFound.json, { errors: [{ code: '', status: '', detail: '' }] })).toEqual([]);
    const invalid = await api(sim, 'POST', `${base}/backups/${b.uuid}/restore`, { body: { truncate: 'yes' } });
    expect(invalid.status).toBe(422);
    expect(shapeDiff(invalid.json, { errors: [{ code: '', status: '', detail: '', meta: { source_field: '', rule: '' } }] })).toEqual([]);
    const dl = await api(sim, 'GET', `${base}/backups/${b.uuid}/download`);
    expect(dl.status).toBe(200);
    expect(shapeDiff(dl.json, { object: 'signed_url', attributes: { url: '' } })).toEqual([]);
    const ws = await api(sim, 'GET', `${base}/websocket`);
    expect(shapeDiff(ws.json, { data: { token: '', socket: '' } })).toEqual([]);
    const res = await api(sim, 'GET', `${base}/resources`);
    expect(
      shapeDiff(res.json, {
        object: 'stats',
        attributes: {
          current_state: '',
          is_suspended: false,
          resources: { memory_bytes: 0, cpu_absolute: 0, disk_bytes: 0, network_rx_bytes: 0, network_tx_bytes: 0, uptime: 0 },
        },
      }),
    ).toEqual([]);
    const del = await api(sim, 'DELETE', `${base}/backups/${b.uuid}`);
    expect([del.status, del.text]).toEqual([204, '']);
  });
});
