import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  expect(run.stdout).toContain(`Received ${signal}: cancelling.`);
});

it('does not call a finished backup still running when cancelled while downloading it', async () => {
  panel.sim.settings.archiveBytes = 400 * 1024 * 1024;
  const workspace = mkdtempSync(join(tmpdir(), 'cancel-create-dl-'));
  try {
    const run = await act(
      panel,
      { name: 'done-then-cancel', 'download-path': 'dl/' },
      { cwd: workspace, cancel: { signal: 'SIGINT', when: (stdout) => /Downloaded .* \(\d+%\)/.test(stdout) } },
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('successful');
    expect(run.errors[0]).toContain('the step was cancelled by SIGINT.');
    expect(run.errors[0]).not.toContain('still running');
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

it('names the backup a cancelled create request may have started', async () => {
  panel.sim.fault({ route: 'backups.create', kind: 'delay', ms: 3_000 });
  const run = await act(panel, { name: 'cancel-create' }, { cancel: { signal: 'SIGINT', when: (stdout) => stdout.includes('Creating backup') } });
  expect(run.exitCode).toBe(1);
  expect(run.outputs['backup-uuid']).toBeUndefined();
  expect(run.errors[0]).toContain(
    "the step was cancelled by SIGINT. The request to create backup 'cancel-create' was sent but not answered: the panel may have started it. Look for it with operation: list.",
  );
});

it('does not say a create refused by the creation throttle may have started, when cancelled while waiting it out', async () => {
  panel.sim.settings.throttleLimit = 1;
  panel.sim.settings.throttlePeriodSec = 60;
  panel.sim.addBackup(panel.server.identifier, { name: 'earlier', createdAt: new Date() });
  const run = await act(panel, { name: 'throttled', 'wait-timeout': '5m' }, { cancel: { signal: 'SIGINT', when: (stdout) => stdout.includes("creation throttle refused the backup") } });
  expect(run.exitCode).toBe(1);
  expect(run.errors[0]).toContain('the step was cancelled by SIGINT.');
  expect(run.errors[0]).not.toContain('was sent but not answered');
});

it.each([
  ['SIGINT', undefined],
  ['SIGINT then SIGTERM', { signal: 'SIGTERM', afterMs: 0 }],
] as const)('cancelled mid-download (%s) leaves no partial archive', async (_, then) => {
  panel.sim.settings.archiveBytes = 400 * 1024 * 1024;
  const backup = panel.sim.addBackup(panel.server.identifier, { name: 'big' });
  const workspace = mkdtempSync(join(tmpdir(), 'cancel-dl-'));
  try {
    const run = await act(
      panel,
      { operation: 'download', 'backup-id': backup.uuid, 'download-path': 'dl/' },
      { cwd: workspace, cancel: { signal: 'SIGINT', when: (stdout) => /Downloaded .* \(\d+%\)/.test(stdout), ...(then ? { then } : {}) } },
    );
    expect(run.exitCode).toBe(1);
    // A second signal takes the forced exit, which names it (unless the first had already ended the run).
    expect(run.errors[0]).toMatch(then ? /cancelled by SIG(INT|TERM)/ : /cancelled by SIGINT/);
    expect(readdirSync(join(workspace, 'dl'))).toEqual([]);
    expect(run.outputs.path).toBeUndefined();
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});
