import { expect, it } from 'vitest';
import { act } from './harness.ts';
import type { Panel } from './harness.ts';
import { useRestorePanel } from './restore-setup.ts';

// Its own file: the 60 s the action gives a stop before killing make it the slowest test, and
// files run in parallel.
let panel: Panel;
const { events, successful } = useRestorePanel((started) => {
  panel = started;
});

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
