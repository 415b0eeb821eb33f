import { describe, expect, it } from 'vitest';
import { act, countRoute } from './harness.ts';
import type { Panel } from './harness.ts';
import { useRestorePanel } from './restore-setup.ts';

// Apart from restore.test.ts so that the 40-second wait on the panel's cache runs alongside it.
let panel: Panel;
const { events, successful } = useRestorePanel((started) => {
  panel = started;
});
/** Where the cache is not what a test is about: still a cache, but a short one. */
const SHORT_CACHE_MS = 2_000;

describe("restore: the server's power state", () => {
  /** The panel caches /resources for 20 s: fill the cache while the server is offline, then start it. */
  async function startedBehindTheCache(): Promise<void> {
    panel.sim.settings.resourcesCacheMs = 20_000;
    const server = panel.sim.server(panel.server.identifier);
    server.power = 'offline';
    const answer = await fetch(`${panel.sim.panelUrl}/api/client/servers/${panel.server.identifier}/resources`, {
      headers: { Authorization: `Bearer ${panel.sim.apiKey}`, Accept: 'application/json' },
    });
    expect(((await answer.json()) as { attributes: { current_state: string } }).attributes.current_state).toBe('offline');
    server.power = 'running';
    panel.sim.clearRequests();
  }
  const order = () => events().filter((kind) => /^(power:|state:offline|restore:start|restore:finish)/.test(kind));
  const inOrder = ['power:stop', 'state:offline', 'restore:start', 'restore:finish', 'power:start'];

  it('reads it live from the websocket, so a server started behind the panel\'s cache is still stopped and started again', async () => {
    const backup = successful();
    await startedBehindTheCache();
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("The server is running (from the daemon's websocket, live).");
    expect(order()).toEqual(inOrder);
    expect(run.outputs.status).toBe('restored');
    // The socket was given up before the restore began.
    const start = panel.sim.serverEvents(panel.server.identifier).find((event) => event.kind === 'restore:start');
    expect(start?.detail).toMatchObject({ openSockets: 0 });
    expect(countRoute(panel, 'wings.ws')).toBe(1);
  });

  it('without the websocket, reads an offline again once the panel\'s cache has expired', async () => {
    const backup = successful();
    await startedBehindTheCache();
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.stop', 'control.start', 'activity.read'] });
    // Two 20 s cache periods: give the run room beyond act()'s default 50 s kill.
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true' }, { apiKey, timeoutMs: 100_000 });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Reading the server's power state from the panel, which may show it up to 20 s late, not from the daemon's websocket: the key's user lacks the websocket\.connect permission\./);
    expect(run.stdout).toMatch(/The panel shows the server offline, but that may be up to 20 s old; reading it again in \d+s to be sure\./);
    expect(run.stdout).toContain('The server is running (from the panel, which caches it for up to 20 s).');
    expect(order()).toEqual(inOrder);
    expect(countRoute(panel, 'server.websocket')).toBe(0);
  }, 110_000);

  it('with restart-server: false, refuses a truncating restore of a server started behind the cache', async () => {
    const backup = successful();
    await startedBehindTheCache();
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'activity.read'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true', 'restart-server': 'false' }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/The panel shows the server offline, but that may be up to 20 s old; reading it again/);
    expect(run.errors[0]).toContain('the server is running and restart-server is false: with truncate the daemon deletes every server file');
    expect(countRoute(panel, 'backups.restore')).toBe(0);
  }, 60_000);

  it('falls back to the panel, in one line, when the daemon rejects the Origin', async () => {
    const backup = successful();
    panel.sim.settings.resourcesCacheMs = SHORT_CACHE_MS;
    panel.sim.server(panel.server.identifier).power = 'running';
    panel.sim.settings.wsRemote = 'https://panel.example.com';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.startsWith("Reading the server's power state from the panel"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused the websocket upgrade .* 403/);
    expect(order()).toEqual(inOrder);
  });

  it('with wait-strategy poll never opens the socket', async () => {
    const backup = successful();
    panel.sim.settings.resourcesCacheMs = SHORT_CACHE_MS;
    panel.sim.server(panel.server.identifier).power = 'running';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'wait-strategy': 'poll' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.websocket')).toBe(0);
    expect(order()).toEqual(inOrder);
  });
});

describe('restore: a socket lost while the server stops', () => {
  it('carries on with the panel\'s state and keeps the order', async () => {
    const backup = successful();
    panel.sim.settings.resourcesCacheMs = SHORT_CACHE_MS;
    panel.sim.server(panel.server.identifier).power = 'running';
    panel.sim.settings.stopDurationMs = 3_000;
    let dropped = false;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, {
      onStdout: (stdout) => {
        if (!dropped && stdout.includes('Stopping the server before the restore.')) {
          dropped = true;
          setTimeout(() => panel.sim.dropWebsockets(panel.server.identifier), 200);
        }
      },
    });
    expect(dropped).toBe(true);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/The daemon's websocket is gone \(.*\); reading the server's state from the panel instead\./);
    expect(events().filter((kind) => /^(power:|state:offline|restore:start)/.test(kind))).toEqual(['power:stop', 'state:offline', 'restore:start', 'power:start']);
    expect(countRoute(panel, 'server.resources')).toBeGreaterThanOrEqual(1);
  });
});
