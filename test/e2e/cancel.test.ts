import { afterEach, beforeEach, expect, it } from 'vitest';
import { act, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

it.each(['SIGINT', 'SIGTERM'] as const)('on %s exits within 2 s, non-zero, naming the running backup, outputs written', async (signal) => {
  panel.sim.settings.backupOutcome = 'stuck';
  let signalledAt = 0;
  const run = await act(panel, { name: 'cancel-me' }, {
    cancel: {
      signal,
      when: (stdout) => {
        const ready = stdout.includes('Waiting for backup');
        if (ready && !signalledAt) signalledAt = Date.now();
        return ready;
      },
    },
  });
  const exitedAfter = Date.now() - signalledAt;
  expect(run.exitCode).not.toBe(0);
  expect(run.exitCode).not.toBeNull();
  expect(exitedAfter).toBeLessThan(2_000);
  const uuid = run.outputs['backup-uuid']!;
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  expect(run.outputs.status).toBe('pending');
  expect(run.errors[0]).toContain(`cancelled by ${signal}`);
  expect(run.errors[0]).toContain(`Backup ${uuid} ('cancel-me') is still running on the panel`);
});
