import { afterEach, beforeEach } from 'vitest';
import { startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

/** What the websocket files share: a fresh simulator per test, handed to `onStart`. */
export function useWebsocketPanel(onStart: (panel: Panel) => void): void {
  let panel: Panel | undefined;
  beforeEach(async () => {
    panel = await startPanel();
    onStart(panel);
  });
  afterEach(async () => {
    await panel?.sim.close();
    panel = undefined;
  });
}

/** The log line that shows the wait ended on the daemon's event (then confirmed over REST). */
export const VIA_EVENT = /The daemon reports backup .* succeeded; confirming with the panel/;
