import { afterEach, beforeEach, expect } from 'vitest';
import { startSimulator } from '../../simulator/index.ts';
import { leakedSecrets, runAction } from './run-action.ts';
import type { ActionRun, RunOptions } from './run-action.ts';

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export interface Panel {
  sim: Simulator;
  server: { identifier: string; uuid: string };
}

/** A simulator with one server, fast backups and the default knobs. */
export async function startPanel(options: Parameters<typeof startSimulator>[0] = {}): Promise<Panel> {
  const sim = await startSimulator(options);
  sim.settings.backupDurationMs = 200;
  const server = sim.addServer({ name: 'Survival' });
  return { sim, server };
}

/**
 * A fresh simulator per test, handed to `onStart`; `replace` starts another one (other options)
 * in its place for the rest of the test. Each is closed after its test.
 */
export function usePanel(onStart: (panel: Panel) => void): { replace(options: Parameters<typeof startSimulator>[0]): Promise<Panel> } {
  let current: Panel | undefined;
  beforeEach(async () => {
    current = await startPanel();
    onStart(current);
  });
  afterEach(async () => {
    await current?.sim.close();
    current = undefined;
  });
  return {
    async replace(options) {
      await current?.sim.close();
      current = await startPanel(options);
      onStart(current);
      return current;
    },
  };
}

/** The panel's error envelope, for a fault that answers as the panel would. */
export const panelError = (status: number, code: string, detail: string) => ({ errors: [{ code, status: String(status), detail }] });

/** Secrets that must never appear outside `download-url`. */
const HEADER_SECRET = 'cf-secret-value-0123456789';

/**
 * Runs the bundled action against the panel with the usual inputs (overridable) and checks the
 * run leaked no secret: the API key, a header value, a signed URL's token or any JWT.
 */
export async function act(panel: Panel, inputs: Record<string, string>, options: RunOptions & { apiKey?: string } = {}): Promise<ActionRun> {
  const apiKey = options.apiKey ?? panel.sim.apiKey;
  const run = await runAction(
    {
      'panel-url': panel.sim.panelUrl,
      'api-key': apiKey,
      'server-id': panel.server.identifier,
      'allow-insecure-http': 'true',
      'poll-interval': '1s',
      headers: `X-Test-Secret: ${HEADER_SECRET}`,
      ...inputs,
    },
    options,
  );
  expectNoLeaks(run, [apiKey, HEADER_SECRET]);
  return run;
}

export function expectNoLeaks(run: ActionRun, secrets: string[]): void {
  expect(leakedSecrets(run, secrets), 'a secret leaked into the log, summary or outputs').toEqual([]);
  const visible = [
    run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n'),
    run.stderr,
    run.summary,
    ...Object.entries(run.outputs).filter(([name]) => name !== 'download-url').map(([, value]) => value),
  ].join('\n');
  expect(visible, 'a signed URL or token leaked').not.toMatch(/token=|eyJ[A-Za-z0-9_-]{10,}\.|X-Amz-Signature/);
}

/** The requests the panel received, by route name. */
export function routes(panel: Panel): string[] {
  return panel.sim.requests.map((request) => request.route);
}

export function countRoute(panel: Panel, route: string): number {
  return panel.sim.requests.filter((request) => request.route === route).length;
}
