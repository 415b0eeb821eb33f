import { describe, expect, it } from 'vitest';
import { act, countRoute } from './harness.ts';
import type { Panel } from './harness.ts';
import { useRestorePanel } from './restore-setup.ts';

// A restore whose request got no clear answer; apart from restore.test.ts because looking for
// signs of it takes up to 20 s.
let panel: Panel;
const { events, successful } = useRestorePanel((started) => {
  panel = started;
});
const signals = () => panel.sim.requests.filter((r) => r.route === 'server.power').map((r) => (r.body as { signal: string }).signal);

describe('restore: an answer lost on the way back', () => {
  it('does not send again a quick restore whose entries the panel is still writing', async () => {
    const backup = successful();
    panel.sim.settings.restoreDurationMs = 50;
    panel.sim.settings.restoreActivityLagMs = 3_000;
    panel.sim.fault({ route: 'backups.restore', kind: 'reset-after' });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.restore')).toBe(1);
    expect(events().filter((kind) => kind === 'restore:start')).toHaveLength(1);
    expect(run.outputs.status).toBe('restored');
    expect(signals()).toEqual(['stop', 'start']);
  });

  it('without activity.read, does not send it again and leaves the server stopped', async () => {
    const backup = successful();
    panel.sim.settings.restoreDurationMs = 50;
    panel.sim.fault({ route: 'backups.restore', kind: 'reset-after' });
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read', 'backup.restore', 'control.stop', 'control.start', 'websocket.connect'] });
    let slowed = false;
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, {
      apiKey,
      timeoutMs: 90_000,
      onStdout: (stdout) => {
        // The first look at the server after the lost answer comes once the restore is over.
        if (!slowed && stdout.includes('Stopping the server before the restore.')) {
          slowed = true;
          panel.sim.fault({ route: 'server.view', kind: 'delay', ms: 1_500 });
        }
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/the restore request got no clear answer, and without activity\.read the action cannot tell whether it ran.*It was not sent again.*The server is left stopped\./);
    expect(countRoute(panel, 'backups.restore')).toBe(1);
    expect(signals()).toEqual(['stop']);
  }, 100_000);

  it('sends it once more when nothing shows that it started', async () => {
    const backup = successful();
    panel.sim.fault({ route: 'backups.restore', kind: 'reset-before' });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { timeoutMs: 90_000 });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/The restore did not start \(nothing shows it after 20s\); sending it once more\./);
    expect(countRoute(panel, 'backups.restore')).toBe(2);
    expect(events().filter((kind) => kind === 'restore:start')).toHaveLength(1);
    expect(run.outputs.status).toBe('restored');
  }, 100_000);

  it('leaves the server stopped when the restore sent once more gets no clear answer either', async () => {
    const backup = successful();
    const down = { route: 'backups.restore', kind: 'status', status: 502, body: 'Bad Gateway' } as const;
    panel.sim.fault({ ...down, times: 2 });
    const run = await act(panel, { operation: 'restore', 'backup-id': backup.uuid }, { timeoutMs: 90_000 });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/The restore did not start \(nothing shows it after 20s\); sending it once more\./);
    expect(run.errors[0]).toContain('502');
    expect(countRoute(panel, 'backups.restore')).toBe(2);
    // Either may have restored: the server this run stopped is not started as if nothing happened.
    expect(signals()).toEqual(['stop']);
  }, 100_000);
});
