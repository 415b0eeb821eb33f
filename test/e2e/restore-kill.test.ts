import { afterEach, beforeEach, expect, it } from 'vitest';
import { act, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

// Its own file: the 60 s the action gives a stop before killing make it the slowest test, and
// files run in parallel.
let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
  panel.sim.settings.restoreDurationMs = 600;
});
afterEach(async () => {
  await panel.sim.close();
});

const events = () => panel.sim.serverEvents(panel.server.identifier).map((e) => e.kind);
const successful = () => panel.sim.addBackup(panel.server.identifier, { name: 'good', createdAt: new Date(Date.now() - 3_600_000) });

it('kills a server that will not stop within 60 s, then restores', async () => {
  const backup = successful();
  panel.sim.settings.wontStop = true;
  const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'wait-timeout': '5m' }, { timeoutMs: 110_000 });
  expect(run.exitCode).toBe(0);
  expect(panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => r.body)).toEqual([{ signal: 'stop' }, { signal: 'kill' }, { signal: 'start' }]);
  expect(run.warnings.join('\n')).toMatch(/has not stopped after 1m 0\ds \(state: stopping\); killing it/);
  const kinds = events();
  expect(kinds.indexOf('power:kill')).toBeLessThan(kinds.indexOf('restore:start'));
}, 120_000);
