import { describe, expect, it } from 'vitest';
import { act, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { VIA_EVENT } from './websocket-lines.ts';

// A socket given up after its reconnects (about 40 s of back-off): in a file of its own so that
// it runs beside the other websocket cases.
let panel: Panel;
usePanel((started) => {
  panel = started;
});

describe('wait-strategy auto (websocket): a socket that keeps dropping', () => {
  it('falls back to polling when the socket drops mid-wait and every reconnect is refused', { timeout: 90_000 }, async () => {
    // Long enough to outlast the reconnects' backoff (1 + 2 + 4 + 8 + 16 s).
    panel.sim.settings.backupDurationMs = 36_000;
    let dropped = false;
    const run = await act(panel, { 'poll-interval': '2s' }, {
      timeoutMs: 80_000,
      onStdout: (stdout) => {
        if (!dropped && stdout.includes("on the server's websocket")) {
          dropped = true;
          // Every upgrade from now on is refused, as by a failing proxy in front of the daemon.
          panel.sim.fault({ route: 'wings.ws', kind: 'status', status: 502, times: 100 });
          panel.sim.dropWebsockets(panel.server.identifier);
        }
      },
    });
    expect(dropped).toBe(true);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/The daemon's websocket connection was lost \(.*\); reconnecting\./);
    expect(run.stdout).toMatch(/The websocket is gone \(the connection was lost \(.*\) and 5 reconnect\(s\) failed; the last: .*502.*\); waiting by polling every 2s\./);
    expect(run.stdout).not.toMatch(VIA_EVENT);
    expect(run.outputs.status).toBe('successful');
    const upgrades = panel.sim.requests.filter((r) => r.route === 'wings.ws').map((r) => r.status);
    expect(upgrades).toEqual([101, 502, 502, 502, 502, 502]);
  });
});
