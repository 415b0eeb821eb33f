import { afterEach, beforeEach } from 'vitest';
import { startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

/**
 * What the restore tests share: a fresh simulator per test, with quick stops and restores, handed
 * to `onStart`; and two helpers that act on the current one.
 */
export function useRestorePanel(onStart: (panel: Panel) => void) {
  let panel: Panel | undefined;
  beforeEach(async () => {
    panel = await startPanel();
    panel.sim.settings.stopDurationMs = 300;
    panel.sim.settings.restoreDurationMs = 600;
    onStart(panel);
  });
  afterEach(async () => {
    await panel?.sim.close();
    panel = undefined;
  });
  const current = (): Panel => {
    if (!panel) throw new Error('no simulator outside a test');
    return panel;
  };
  return {
    /** The server's timeline kinds (`power:stop`, `state:offline`, `restore:start`, ...). */
    events: () => current().sim.serverEvents(current().server.identifier).map((e) => e.kind),
    /** Adds a successful backup made an hour ago. */
    successful: () => current().sim.addBackup(current().server.identifier, { name: 'good', createdAt: new Date(Date.now() - 3_600_000) }),
  };
}
