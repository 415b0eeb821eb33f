import { describe, expect, it } from 'vitest';
import { act, countRoute, routes } from './harness.ts';
import type { Panel } from './harness.ts';
import { useRestorePanel } from './restore-setup.ts';

let panel: Panel;
const { events, successful } = useRestorePanel((started) => {
  panel = started;
});
const CHANGING = ['server.power', 'backups.restore', 'backups.create', 'backups.delete', 'backups.lock'];

describe('restore', () => {
  it('restores a running server in order: stop, offline, restore, finished, start; outcome confirmed', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'running';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'backup-uuid': backup.uuid, status: 'restored' });
    const timeline = events().filter((kind) => /^(power:|state:offline|restore:|files:)/.test(kind));
    expect(timeline).toEqual(['power:stop', 'state:offline', 'files:truncated', 'restore:start', 'restore:finish', 'power:start']);
    expect(['starting', 'running']).toContain(panel.sim.server(panel.server.identifier).power);
    const restore = panel.sim.requests.find((r) => r.route === 'backups.restore')!;
    expect(restore.body).toEqual({ truncate: true });
    // The files went only once the server was offline.
    const truncated = panel.sim.serverEvents(panel.server.identifier).find((e) => e.kind === 'files:truncated')!;
    expect(truncated.detail).toMatchObject({ power: 'offline' });
    expect(run.stdout).toContain(`Backup ${backup.uuid} was restored.`);
    expect(run.summary).toContain('restored');
  });

  it('while the restore runs only the server view is read (every other route answers 409)', async () => {
    const backup = successful();
    panel.sim.settings.restoreDurationMs = 2_500;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    const all = panel.sim.requests;
    const start = all.findIndex((r) => r.route === 'backups.restore');
    const end = all.findIndex((r, i) => i > start && r.route === 'server.activity');
    expect(all.slice(start + 1, end).every((r) => r.route === 'server.view')).toBe(true);
    expect(all.slice(start + 1, end).length).toBeGreaterThanOrEqual(2);
  });

  it('leaves a stopped server stopped', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'offline';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.power')).toBe(0);
    expect(panel.sim.server(panel.server.identifier).power).toBe('offline');
  });

  it('resolves latest to the newest successful backup', async () => {
    successful();
    const newer = panel.sim.addBackup(panel.server.identifier, { name: 'newer', createdAt: new Date(Date.now() - 60_000) });
    const run = await act(panel, { operation: 'restore', 'backup-id': 'latest' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['backup-uuid']).toBe(newer.uuid);
  });

  it.each([
    ['failed', /failed; restoring it would wipe files and then fail/],
    ['pending', /is still running; only a successful backup can be restored/],
  ] as const)('refuses a %s backup before anything changes', async (state, message) => {
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'x', state });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(message);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
    expect(events()).not.toContain('files:truncated');
  });

  it('refuses while another backup of the server is running', async () => {
    const backup = successful();
    const running = panel.sim.addBackup(panel.server.identifier, { name: 'in progress', state: 'pending' });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain(`backup ${running.uuid} ('in progress') of this server is still running`);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('refuses, before stopping anything, a key that cannot start the server again', async () => {
    const backup = successful();
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.stop'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the control\.start permission/);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('refuses, before reading the backup, a key that cannot read backups', async () => {
    const backup = successful();
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.restore', 'control.stop', 'control.start'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the backup\.read permission, which is needed to read backups/);
    expect(countRoute(panel, 'backups.view')).toBe(0);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('with wait false leaves the server stopped and returns restoring', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'running';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('restoring');
    expect(run.stdout).toMatch(/The server is left stopped: start it once the restore has finished/);
    expect(run.summary).toContain('The server is left stopped: start it once the restore has finished.');
    expect(panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => r.body)).toEqual([{ signal: 'stop' }]);
  });

  it('dry-run says what would be stopped, restored and started, and changes nothing', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'running';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'dry-run': 'true', truncate: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Dry run: would stop the server \(now running\), then restore backup .*deleting all server files first \(truncate\), then start the server again/);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('fails the step for a failed restore and leaves the server stopped', async () => {
    const backup = successful();
    panel.sim.settings.restoreOutcome = 'failure';
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/the restore of backup .* failed \(the panel's activity log says so\)\..*left stopped/);
    expect(run.outputs.status).toBe('failed');
    expect(panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => r.body)).toEqual([{ signal: 'stop' }]);
  });

  it('waits a moment for an activity entry written after the status was cleared', async () => {
    const backup = successful();
    panel.sim.settings.restoreOutcome = 'failure';
    // Well inside the action's 5 s grace, and longer than any delay before its first read of the log.
    panel.sim.settings.restoreActivityLagMs = 4_000;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.errors[0]).toMatch(/the restore of backup .* failed \(the panel's activity log says so\)/);
    expect(countRoute(panel, 'server.activity')).toBeGreaterThanOrEqual(2);
  });

  it('says the outcome could not be confirmed when the key may not read the activity log', async () => {
    const backup = successful();
    // Without websocket.connect the stop shows through the panel's cache: keep it short here.
    panel.sim.settings.resourcesCacheMs = 2_000;
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.stop', 'control.start'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { apiKey });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/outcome could not be confirmed/);
    expect(run.summary).toMatch(/outcome could not be confirmed/);
    expect(countRoute(panel, 'server.activity')).toBe(0);
  });

  it('reads the state instead of re-sending a restore whose answer was lost', async () => {
    const backup = successful();
    panel.sim.settings.restoreDurationMs = 2_000;
    panel.sim.fault({ route: 'backups.restore', kind: 'reset-after' });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.restore')).toBe(1);
    expect(run.outputs.status).toBe('restored');
  });

  it('reports the panel refusing a restore (Pelican throttle) and starts the stopped server again', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'running';
    panel.sim.fault({ route: 'backups.restore', kind: 'rate-limit', retryAfterSec: 900 });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/throttled the restore.*3 restores per 15 minutes/);
    expect(panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => r.body)).toEqual([{ signal: 'stop' }, { signal: 'start' }]);
  });

  it('starts the server again when the activity log keeps failing after the restore, saying the outcome is unconfirmed', async () => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).power = 'running';
    panel.sim.fault({ route: 'server.activity', kind: 'status', status: 500, body: 'Server Error', times: 1_000 });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('restored');
    expect(run.warnings.join('\n')).toMatch(/activity log could not be read to confirm the restore's outcome: .*500/);
    expect(run.warnings.join('\n')).toMatch(/outcome could not be confirmed/);
    expect(panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => r.body)).toEqual([{ signal: 'stop' }, { signal: 'start' }]);
  });
});
