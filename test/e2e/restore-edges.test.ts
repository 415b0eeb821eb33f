import { describe, expect, it } from 'vitest';
import { act, countRoute, panelError, routes, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { useRestorePanel } from './restore-setup.ts';

let panel: Panel;
const { events, successful } = useRestorePanel((started) => {
  panel = started;
});
const CHANGING = ['server.power', 'backups.restore', 'backups.create', 'backups.delete', 'backups.lock'];
const signals = () => panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => (r.body as { signal: string }).signal);
const setPower = (power: 'running' | 'offline' | 'starting') => {
  panel.sim.server(panel.server.identifier).power = power;
};
/** Someone else stopped the server a moment ago: it is stopping when the step begins. */
const stopBehindTheAction = async () => {
  const stop = await fetch(`${panel.sim.panelUrl}/api/client/servers/${panel.server.identifier}/power`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${panel.sim.apiKey}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ signal: 'stop' }),
  });
  expect(stop.status).toBe(204);
  panel.sim.clearRequests();
};

describe('restore with restart-server: false', () => {
  it('refuses a truncating restore of a running server, before anything changes', async () => {
    const backup = successful();
    setPower('running');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true', 'restart-server': 'false' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain(
      'the server is running and restart-server is false: with truncate the daemon deletes every server file while the server is still running, and only then stops it.',
    );
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('restores a running server without truncate, saying the daemon leaves it stopped', async () => {
    const backup = successful();
    setPower('running');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'restart-server': 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('restored');
    expect(signals()).toEqual([]);
    expect(run.warnings.join('\n')).toContain('the daemon stops it for the restore and does not start it again, so with restart-server: false it is left stopped');
    expect(run.summary).toContain('left stopped');
    expect(panel.sim.server(panel.server.identifier).power).toBe('offline');
  });

  it('sends no power signal and says nothing more for a stopped server', async () => {
    const backup = successful();
    setPower('offline');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true', 'restart-server': 'false' });
    expect(run.exitCode).toBe(0);
    expect(signals()).toEqual([]);
    expect(run.warnings).toEqual([]);
  });
});

describe('restore: power before and after', () => {
  it('stops a server that is starting, and starts it again', async () => {
    const backup = successful();
    setPower('starting');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(signals()).toEqual(['stop', 'start']);
  });

  it('with wait: false still starts the server it stopped when the panel refuses the restore', async () => {
    const backup = successful();
    setPower('running');
    panel.sim.fault({ route: 'backups.restore', kind: 'rate-limit', retryAfterSec: 900 });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, wait: 'false' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/throttled the restore.*Nothing was restored/);
    expect(signals()).toEqual(['stop', 'start']);
  });

  it.each([
    ['without truncate, starts the server again: the daemon changed nothing', 'false', ['stop', 'start']],
    ['with truncate, leaves it stopped: the daemon may have deleted the files', 'true', ['stop']],
  ])('when the panel cannot reach the daemon for the restore, %s', async (_, truncate, expected) => {
    const backup = successful();
    setPower('running');
    panel.sim.fault({ route: 'backups.restore', kind: 'daemon-error' });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate });
    expect(run.exitCode).toBe(1);
    expect(signals()).toEqual(expected);
  });

  it('says the backup was restored when only the start fails', async () => {
    const backup = successful();
    setPower('running');
    const refused = panelError(403, 'AccessDeniedHttpException', 'This action is unauthorized.');
    panel.sim.fault({ route: 'server.power', kind: 'status', status: 403, body: refused, skip: 1 });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('restored');
    expect(run.errors[0]).toMatch(new RegExp(`backup ${backup.uuid} was restored, but the server could not be started again: .*This action is unauthorized.*Start it in the panel`));
  });
});

describe('restore: the panel refusing the request', () => {
  it.each([
    ['starts again the server this run stopped when the backup is gone by the time of the restore', 'running', ['stop', 'start']],
    ['leaves alone a server that was offline', 'offline', []],
  ] as const)('%s', async (_, power, expected) => {
    const backup = successful();
    setPower(power);
    const gone = panelError(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.');
    panel.sim.fault({ route: 'backups.restore', kind: 'status', status: 404, body: gone });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('404 NotFoundHttpException');
    expect(signals()).toEqual(expected);
  });

  it('does not start a server that was already stopping when the step began', async () => {
    const backup = successful();
    setPower('running');
    panel.sim.settings.stopDurationMs = 3_000;
    await stopBehindTheAction();
    const gone = panelError(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.');
    panel.sim.fault({ route: 'backups.restore', kind: 'status', status: 404, body: gone });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('404 NotFoundHttpException');
    expect(signals()).toEqual(['stop']);
  });
});

describe('restore: other power states and permissions', () => {
  it('waits for a server that is already stopping, and does not start it afterwards', async () => {
    const backup = successful();
    setPower('running');
    panel.sim.settings.stopDurationMs = 3_000;
    await stopBehindTheAction();
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('restored');
    expect(signals()).toEqual(['stop']);
    const order = events().filter((kind) => /^(state:offline|restore:start)/.test(kind));
    expect(order).toEqual(['state:offline', 'restore:start']);
  });

  it('refuses, before anything changes, a key that cannot stop the server', async () => {
    const backup = successful();
    setPower('running');
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.start', 'websocket.connect'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the control\.stop permission/);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
    // The UUID given is in the outputs even though the backup was never read.
    expect(run.outputs['backup-uuid']).toBe(backup.uuid);
  });

  it('dry run with wait: false says the server would be left stopped', async () => {
    const backup = successful();
    setPower('running');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'dry-run': 'true', wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Dry run: would stop the server \(now running\), then restore backup .*, then leave the server stopped \(wait: false\)\. Nothing was changed\./);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });

  it('on Pelican, restores a running server in order and reads the outcome', async () => {
    await panel.sim.close();
    panel = await startPanel({ flavor: 'pelican' });
    panel.sim.settings.stopDurationMs = 300;
    panel.sim.settings.restoreDurationMs = 600;
    const backup = panel.sim.addBackup(panel.server.identifier, { name: 'good', createdAt: new Date(Date.now() - 3_600_000) });
    setPower('running');
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Backup ${backup.uuid} was restored.`);
    expect(signals()).toEqual(['stop', 'start']);
  });
});

describe('restore: refusals by the server state', () => {
  it.each(['installing', 'reinstall_failed', 'restoring_backup'] as const)('refuses while the server is %s, before reading the backup', async (status) => {
    const backup = successful();
    panel.sim.server(panel.server.identifier).status = status;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain(
      status === 'restoring_backup' ? 'a restore is already running on this server.' : `the server's status is '${status}', in which a restore is not possible.`,
    );
    expect(countRoute(panel, 'backups.view')).toBe(0);
    expect(routes(panel).filter((r) => CHANGING.includes(r))).toEqual([]);
  });
});

describe('restore: wait-timeout', () => {
  it('counts the stop: a stop and a restore that together outlast it end the step, status restoring', async () => {
    const backup = successful();
    setPower('running');
    panel.sim.settings.stopDurationMs = 4_000;
    panel.sim.settings.restoreDurationMs = 8_000;
    // Alone, the restore would fit in wait-timeout; after the stop it does not.
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'wait-timeout': '10s' });
    expect(run.errors[0]).toContain('the restore is still running after wait-timeout; it goes on on the node, and the server this run stopped stays stopped.');
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('restoring');
    expect(countRoute(panel, 'backups.restore')).toBe(1);
    expect(signals()).toEqual(['stop']);
  });

  it('ends during the stop, saying what was sent and that nothing was restored', async () => {
    const backup = successful();
    setPower('running');
    panel.sim.settings.wontStop = true;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, 'wait-timeout': '6s' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('the server did not stop within wait-timeout (still stopping); nothing was restored. The stop was sent, so it may still stop on its own, and it is not started again.');
    expect(run.outputs.status).toBe('successful');
    expect(signals()).toEqual(['stop']);
    expect(countRoute(panel, 'backups.restore')).toBe(0);
  });
});

describe('restore: an outcome that cannot be confirmed', () => {
  it('with truncate too, starts the server again as restart-server promises, with a warning', async () => {
    const backup = successful();
    setPower('running');
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.stop', 'control.start', 'websocket.connect'] });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid, truncate: 'true' }, { apiKey });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('restored');
    expect(signals()).toEqual(['stop', 'start']);
    expect(run.warnings.join('\n')).toMatch(/outcome could not be confirmed/);
    expect(countRoute(panel, 'server.activity')).toBe(0);
  });

  it("never takes an earlier restore's outcome for this one's", async () => {
    const backup = successful();
    const first = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(first.stdout).toContain(`Backup ${backup.uuid} was restored.`);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // This one fails, and its entry comes later than the action waits for.
    panel.sim.settings.restoreOutcome = 'failure';
    panel.sim.settings.restoreActivityLagMs = 8_000;
    const second = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(second.stdout).not.toContain(`Backup ${backup.uuid} was restored.`);
    expect(second.warnings.join('\n')).toMatch(/outcome could not be confirmed/);
    expect(events().filter((kind) => kind === 'restore:start')).toHaveLength(2);
  });
});
