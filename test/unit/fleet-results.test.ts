import { afterEach, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.ts';
import { runFleet } from '../../src/fleet/run-fleet.js';
import { HttpTransport } from '../../src/http/transport.js';
import { parseInputs } from '../../src/inputs/parse-inputs.js';
import type { InputName } from '../../src/constants.js';
import { PanelClient } from '../../src/panel/client.js';
import { OutputCollector } from '../../src/report/outputs.js';
import { newRunReport } from '../../src/report/run-report.js';
import { sleep } from '../../src/time.js';
import { recordingLog } from '../support/recording-log.ts';
import { tick } from '../support/wait-until.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});


type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Result = { 'backup-uuid': string | null; status: string | null; ok: boolean; error: string | null };

/** Starts a fleet run on `servers` of `sim` in this process; `results()` reads the output as it is now. */
function startFleet(sim: Simulator, servers: Array<{ identifier: string }>, extra: Partial<Record<InputName, string>>) {
  const inputs: Partial<Record<InputName, string>> = {
    'panel-url': sim.panelUrl,
    'api-key': sim.apiKey,
    'server-id': servers.map((server) => server.identifier).join(','),
    'allow-insecure-http': 'true',
    ...extra,
  };
  const { settings } = parseInputs((name) => inputs[name] ?? '');
  const abort = new AbortController();
  const transport = new HttpTransport({ userAgent: 'pterodactyl-backup-action/test' });
  const client = new PanelClient({ baseUrl: settings.panelUrl, apiKey: settings.apiKey, headers: {}, transport, signal: abort.signal });
  const outputs = new OutputCollector();
  const running = runFleet(
    {
      settings,
      client,
      transport,
      workflow: { repository: 'octo/site', sha: 'abc1234def', runId: 1, runAttempt: 1, workspace: process.cwd() },
      signal: abort.signal,
      now: Date.now,
      sleep: (ms) => sleep(ms, abort.signal),
    },
    outputs,
    newRunReport(Date.now()),
    recordingLog(),
  ).catch((error: unknown) => error);
  return {
    outputs,
    results: () => JSON.parse(outputs.get('results') ?? '[]') as Result[],
    /** Cancels the run and waits for it to unwind. */
    async stop() {
      abort.abort(new Error('cancelled'));
      await running;
      await transport.close();
    },
  };
}

// If the runner kills the step before the fleet unwinds, what was flushed is all a later step gets:
// the backups started so far must be in `results` the moment they exist, not only once a server's run ends.
it('keeps results current while the servers are still being worked on', async () => {
  const sim = await startSimulator();
  close = () => sim.close();
  sim.settings.backupDurationMs = 200;
  sim.settings.backupOutcome = 'stuck';
  const servers = [sim.addServer({ name: 'A' }), sim.addServer({ name: 'B' })];
  const { outputs, results, stop } = startFleet(sim, servers, { 'wait-strategy': 'poll', 'poll-interval': '1s' });
  const deadline = Date.now() + 10_000;
  while (results().filter((result) => result['backup-uuid']).length < 2) {
    if (Date.now() > deadline) throw new Error(`results never showed both backups: ${outputs.get('results')}`);
    await tick(20);
  }
  // Still in flight: both waits go on, and results already name both pending backups.
  for (const result of results()) {
    expect(result).toMatchObject({ status: 'pending', ok: false });
    expect(result.error).toMatch(/did not finish \(the step ended first\)/);
  }
  await stop();
});

it('shows a server as done in results the moment it is done, while another is still in flight', async () => {
  const sim = await startSimulator();
  close = () => sim.close();
  const servers = [sim.addServer({ name: 'A' }), sim.addServer({ name: 'B' })];
  // Whichever server is read first hangs there; the other one finishes meanwhile.
  sim.fault({ route: 'server.view', kind: 'delay', ms: 30_000, times: 1 });
  const { outputs, results, stop } = startFleet(sim, servers, { wait: 'false' });
  const deadline = Date.now() + 10_000;
  while (sim.requests.filter((request) => request.route === 'backups.create').length < 1) {
    if (Date.now() > deadline) throw new Error('no create was sent');
    await tick(20);
  }
  while (!results().some((result) => result.ok)) {
    if (Date.now() > deadline) throw new Error(`results never showed the finished server as done: ${outputs.get('results')}`);
    await tick(20);
  }
  expect(results().filter((result) => result.ok)).toEqual([expect.objectContaining({ ok: true, error: null, status: 'pending' })]);
  await stop();
});

