import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

const viaEvent = /The daemon reports backup .* succeeded; confirming with the panel/;

describe('wait-strategy auto (websocket)', () => {
  it('authenticates before the create and ends the wait on the event with few REST reads', async () => {
    panel.sim.settings.backupDurationMs = 8_000;
    const run = await act(panel, { 'poll-interval': '1s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(viaEvent);
    const order = panel.sim.requests.map((r) => r.route);
    expect(order.indexOf('wings.ws')).toBeLessThan(order.indexOf('backups.create'));
    // Polling every second would read the backup about 8 times; the socket needs the safety
    // poll (every 6 s) and the final read.
    expect(countRoute(panel, 'backups.view')).toBeLessThanOrEqual(3);
    expect(run.outputs.status).toBe('successful');
  });

  it('sees a backup that finishes before the create answer arrives', async () => {
    panel.sim.settings.backupDurationMs = 0;
    panel.sim.fault({ route: 'backups.create', kind: 'delay', ms: 50 });
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(viaEvent);
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('accepts the old event name backup completed:<uuid>', async () => {
    panel.sim.settings.legacyBackupEventName = true;
    const run = await act(panel, { 'poll-interval': '10s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(viaEvent);
  });

  it('catches a dropped event with the safety poll', async () => {
    panel.sim.settings.backupDurationMs = 300;
    panel.sim.fault({ route: 'wings.ws.event', kind: 'drop-event' });
    const run = await act(panel, { 'poll-interval': '1s' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toMatch(viaEvent);
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
    expect(run.stdout).toMatch(viaEvent);
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

  it('fails the step on a failure event the panel does not confirm', async () => {
    panel.sim.settings.backupOutcome = 'stuck';
    let emitted = false;
    const run = await act(panel, { 'poll-interval': '30s' }, {
      onStdout: (stdout) => {
        const match = /Waiting for backup ([0-9a-f-]{36}) on the server's websocket/.exec(stdout);
        if (match && !emitted) {
          emitted = true;
          panel.sim.emitBackupEvent(panel.server.identifier, { uuid: match[1]!, is_successful: false, checksum: '', file_size: 0 });
        }
      },
    });
    expect(emitted).toBe(true);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/the daemon reported that backup .* failed, but the panel still shows it running after 10s/);
    expect(run.outputs.status).toBe('pending');
  });

  it('ignores completion events of other backups', async () => {
    panel.sim.settings.backupDurationMs = 1_500;
    let emitted = false;
    const run = await act(panel, { 'poll-interval': '10s' }, {
      onStdout: (stdout) => {
        if (!emitted && stdout.includes("on the server's websocket")) {
          emitted = true;
          panel.sim.emitBackupEvent(panel.server.identifier, { uuid: '00000000-0000-4000-8000-000000000999', is_successful: false });
        }
      },
    });
    expect(run.exitCode).toBe(0);
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
