import { describe, expect, it } from 'vitest';
import { act, usePanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { VIA_EVENT } from './websocket-lines.ts';

// The long websocket cases (a socket given up after its reconnects, events the panel does not
// confirm): apart from websocket.test.ts so that the two files run side by side.
let panel: Panel;
usePanel((started) => {
  panel = started;
});

describe('wait-strategy auto (websocket): what the socket says is only a hint', () => {
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

  it('ignores a failure event of another backup while this one keeps running', async () => {
    // Far longer than the failure event's grace period (10 s): a mix-up would fail the step.
    panel.sim.settings.backupDurationMs = 20_000;
    const other = '00000000-0000-4000-8000-000000000999';
    let emitted = false;
    const run = await act(panel, { 'poll-interval': '10s' }, {
      onStdout: (stdout) => {
        if (!emitted && stdout.includes("on the server's websocket")) {
          emitted = true;
          panel.sim.emitBackupEvent(panel.server.identifier, { uuid: other, is_successful: false });
        }
      },
    });
    expect(emitted).toBe(true);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('successful');
    // Its own event ended the wait, long before the safety poll (60 s).
    expect(run.stdout).toMatch(VIA_EVENT);
    const shown = run.stdout.split('\n').filter((line) => !line.startsWith('::debug::'));
    expect(shown.filter((line) => line.includes(other))).toEqual([]);
  });

  it('does not believe a success event the panel never confirms', async () => {
    panel.sim.settings.backupOutcome = 'stuck';
    let emitted = false;
    const run = await act(panel, { 'poll-interval': '2s', 'wait-timeout': '15s' }, {
      onStdout: (stdout) => {
        const match = /Waiting for backup ([0-9a-f-]{36}) on the server's websocket/.exec(stdout);
        if (match && !emitted) {
          emitted = true;
          panel.sim.emitBackupEvent(panel.server.identifier, { uuid: match[1]!, is_successful: true, checksum: 'ab'.repeat(20), file_size: 4096 });
        }
      },
    });
    expect(emitted).toBe(true);
    expect(run.stdout).toMatch(/The daemon reports backup .* succeeded, but the panel does not show it yet; polling the panel/);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/is still running after wait-timeout \(15s\)/);
    expect(run.durationMs).toBeGreaterThanOrEqual(15_000);
    expect(run.outputs.status).toBe('pending');
  });
});
