import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { act, countRoute, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { VIA_EVENT } from './websocket-lines.ts';

let panel: Panel;
usePanel((started) => {
  panel = started;
});

/** A local port on which nothing listens any more: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('wait-strategy auto (websocket)', () => {
  it('authenticates before the create and ends the wait on the event with few REST reads', async () => {
    panel.sim.settings.backupDurationMs = 8_000;
    const run = await act(panel, { 'poll-interval': '1s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(VIA_EVENT);
    const order = panel.sim.requests.map((r) => r.route);
    expect(order.indexOf('wings.ws')).toBeLessThan(order.indexOf('backups.create'));
    // Polling every second would read the backup about 8 times; the socket needs the safety
    // poll (every 6 s) and the final read.
    expect(countRoute(panel, 'backups.view')).toBeLessThanOrEqual(3);
    expect(run.outputs.status).toBe('successful');
  });

  it('sees a backup that finishes before the create answer arrives', async () => {
    panel.sim.settings.backupDurationMs = 0;
    // The panel creates the backup (which the daemon finishes at once) and holds the answer.
    panel.sim.fault({ route: 'backups.create', kind: 'delay-response', ms: 1_500 });
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(VIA_EVENT);
    // The completion event reached the action before the create's answer did.
    const uuid = run.outputs['backup-uuid'];
    const eventAt = run.stdout.indexOf(`::debug::Websocket: backup ${uuid} completed`);
    expect(eventAt).toBeGreaterThanOrEqual(0);
    expect(eventAt).toBeLessThan(run.stdout.indexOf(`Waiting for backup ${uuid}`));
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('accepts the old event name backup completed:<uuid>', async () => {
    panel.sim.settings.legacyBackupEventName = true;
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(VIA_EVENT);
  });

  it('catches a dropped event with the safety poll', async () => {
    panel.sim.settings.backupDurationMs = 300;
    panel.sim.fault({ route: 'wings.ws.event', kind: 'drop-event' });
    const run = await act(panel, { 'poll-interval': '1s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toMatch(VIA_EVENT);
    expect(run.outputs.status).toBe('successful');
    expect(countRoute(panel, 'backups.view')).toBe(1);
  });

  it('renews the token when it is about to expire, mid-wait', async () => {
    panel.sim.settings.wsTokenLifetimeSec = 62;
    panel.sim.settings.wsExpiryCheckMs = 300;
    panel.sim.settings.backupDurationMs = 2_500;
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.websocket')).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toMatch(VIA_EVENT);
  });

  it('reads the panel at once when the completion is dropped because the token has expired', async () => {
    panel.sim.settings.wsTokenLifetimeSec = 5;
    // 'token expiring' does not come in time, and nothing else is sent: the completion is the
    // first event after the expiry, and the daemon replaces it with a jwt error (wings.md §1.4).
    panel.sim.settings.wsExpiryCheckMs = 600_000;
    panel.sim.settings.wsStatsIntervalMs = 0;
    panel.sim.settings.backupDurationMs = 7_000;
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('successful');
    expect(run.stdout).not.toMatch(VIA_EVENT);
    // Far before the safety poll (60 s).
    expect(run.durationMs).toBeLessThan(20_000);
    expect(countRoute(panel, 'server.websocket')).toBeGreaterThanOrEqual(2);
  });

  it('does not wait for a stalled token renewal to read the panel after an expiry', async () => {
    panel.sim.settings.wsTokenLifetimeSec = 5;
    panel.sim.settings.wsExpiryCheckMs = 600_000;
    panel.sim.settings.wsStatsIntervalMs = 0;
    panel.sim.settings.backupDurationMs = 7_000;
    // The renewal's token request hangs for 8 s.
    panel.sim.fault({ route: 'server.websocket', kind: 'delay', ms: 8_000, skip: 1 });
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.websocket')).toBe(2);
    // The wait ends with the REST read at the expiry (about 7 s), not once the renewal is through (about 15 s).
    const finished = /Backup [0-9a-f-]{36} finished after (\d+)s\./.exec(run.stdout);
    expect(Number(finished?.[1])).toBeLessThan(11);
  });

  it('falls back to polling, in one line, when the daemon rejects the Origin', async () => {
    panel.sim.settings.wsRemote = 'https://panel.example.com';
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.startsWith('Waiting by polling instead of the websocket'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/403/);
    expect(run.outputs.status).toBe('successful');
  });

  it("sends the panel URL as Origin when the daemon refuses the token's iss", async () => {
    // The panel's app.url has drifted from the remote the daemon was configured with.
    panel.sim.settings.tokenIssuer = 'https://old-panel.example.com';
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Waiting for backup .* on the server's websocket/);
    expect(run.stdout).not.toContain('Waiting by polling instead of the websocket');
    const upgrades = panel.sim.requests.filter((r) => r.route === 'wings.ws');
    expect(upgrades.map((r) => r.headers['origin'])).toEqual(['https://old-panel.example.com', panel.sim.panelUrl]);
    expect(upgrades.map((r) => r.status)).toEqual([403, 101]);
  });

  it('falls back to polling without websocket.connect', async () => {
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.create', 'backup.read', 'backup.download'] });
    const run = await act(panel, {}, { apiKey });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Waiting by polling instead of the websocket: the key's user lacks the websocket\.connect permission/);
    expect(countRoute(panel, 'server.websocket')).toBe(0);
  });

  it('falls back to polling when the daemon is at its connection cap', async () => {
    panel.sim.settings.wsMaxConnections = 0;
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Waiting by polling instead of the websocket: .*400/);
  });

  it('falls back to polling, in one line, when the daemon refuses the connection', async () => {
    const port = await closedPort();
    // The panel hands out a socket address on which nothing listens (a daemon that is down).
    const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: panel.sim.panelUrl, permissions: ['*'], server_uuid: panel.server.uuid, exp: Math.floor(Date.now() / 1000) + 600 };
    const token = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;
    const socket = `ws://127.0.0.1:${port}/api/servers/${panel.server.uuid}/ws`;
    panel.sim.fault({ route: 'server.websocket', kind: 'status', status: 200, body: { data: { token, socket } } });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.startsWith('Waiting by polling instead of the websocket'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ECONNREFUSED/);
    expect(run.stdout).toMatch(/Waiting for backup .* by polling every 1s/);
    expect(countRoute(panel, 'server.websocket')).toBe(1);
    expect(run.outputs.status).toBe('successful');
  });
});

describe('wait-strategy websocket', () => {
  it('fails clearly, before creating anything, when the socket cannot be used', async () => {
    panel.sim.settings.wsRemote = 'https://panel.example.com';
    const run = await act(panel, { 'wait-strategy': 'websocket' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/wait-strategy is websocket, but the server's websocket cannot be used: .*Nothing was created/);
    expect(countRoute(panel, 'backups.create')).toBe(0);
  });
});

describe('wait-strategy poll', () => {
  it('never opens the socket', async () => {
    const run = await act(panel, { 'wait-strategy': 'poll' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.websocket')).toBe(0);
    expect(countRoute(panel, 'wings.ws')).toBe(0);
  });
});
