import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, routes, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

const DEFAULT_NAME = 'octo/site@abc1234 run 9876543.1';

describe('create', () => {
  it('creates a backup, waits until the panel says it succeeded, and reports it', async () => {
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    const uuid = run.outputs['backup-uuid']!;
    const backup = panel.sim.backup(uuid)!;
    expect(run.outputs).toMatchObject({
      'backup-name': DEFAULT_NAME,
      status: 'successful',
      skipped: 'false',
      checksum: backup.checksum,
      bytes: String(backup.bytes),
      'created-at': backup.created_at,
      'completed-at': backup.completed_at,
    });
    expect(backup.checksum).toMatch(/^sha1:[0-9a-f]{40}$/);
    expect(JSON.parse(run.outputs.backup!)).toMatchObject({ uuid, name: DEFAULT_NAME, is_successful: true });
    expect(run.outputs['download-url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/download\/backup\?token=/);
    // One create, then reads only.
    const create = panel.sim.requests.filter((r) => r.route === 'backups.create');
    expect(create).toHaveLength(1);
    expect(create[0]!.body).toEqual({ name: DEFAULT_NAME, is_locked: false });
    expect(create[0]!.headers.authorization).toBe(`Bearer ${panel.sim.apiKey}`);
    expect(create[0]!.headers.accept).toBe('application/json');
    expect(create[0]!.headers['content-type']).toBe('application/json');
    expect(create[0]!.headers['user-agent']).toMatch(/^pterodactyl-backup-action\/\d+\.\d+\.\d+/);
    expect(create[0]!.headers['x-test-secret']).toBeDefined();
    expect(countRoute(panel, 'backups.view')).toBeGreaterThanOrEqual(1);
    // The job summary names the server, backup, status, size, checksum and duration.
    expect(run.summary).toContain('Survival');
    expect(run.summary).toContain(uuid);
    expect(run.summary).toContain('successful');
    expect(run.summary).toContain(backup.checksum!);
    expect(run.summary).toMatch(/KiB|MiB/);
    expect(run.summary).toContain('Duration');
  });

  it('sends the name, ignored files as one newline-joined string and locked as a JSON boolean', async () => {
    const run = await act(panel, { name: 'pre-deploy', 'ignored-files': 'logs/\n*.tmp\n', locked: 'true' });
    expect(run.exitCode).toBe(0);
    const create = panel.sim.requests.find((r) => r.route === 'backups.create')!;
    expect(create.body).toEqual({ name: 'pre-deploy', is_locked: true, ignored: 'logs/\n*.tmp' });
    expect(run.stdout).toContain(`Creating backup 'pre-deploy' on server ${panel.server.identifier}, locked, leaving out 2 pattern(s).`);
    const backup = panel.sim.backup(run.outputs['backup-uuid']!)!;
    expect(backup).toMatchObject({ name: 'pre-deploy', is_locked: true, ignored_files: ['logs/', '*.tmp'] });
  });

  it('warns when the panel ignored locked because the key lacks backup.delete', async () => {
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.create', 'backup.read', 'backup.download'] });
    const run = await act(panel, { locked: 'true' }, { apiKey });
    expect(run.exitCode).toBe(0);
    expect(panel.sim.backup(run.outputs['backup-uuid']!)!.is_locked).toBe(false);
    expect(run.warnings.join('\n')).toMatch(/created unlocked although locked: true was asked.*backup\.delete/);
  });

  it('returns at once with status pending when wait is false', async () => {
    panel.sim.settings.backupDurationMs = 5_000;
    const run = await act(panel, { wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('pending');
    expect(run.outputs['download-url']).toBeUndefined();
    expect(run.outputs.checksum).toBeUndefined();
    expect(countRoute(panel, 'backups.view')).toBe(0);
  });

  it('with wait false applies no retention, and says so', async () => {
    panel.sim.settings.backupDurationMs = 5_000;
    panel.sim.addBackup(panel.server.identifier, { name: 'octo/site@0000000 run 1.1', createdAt: new Date(Date.now() - 86_400_000) });
    const run = await act(panel, { wait: 'false', keep: '1' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toContain('Retention is skipped with wait: false: nothing is deleted before the new backup is known to have succeeded.');
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('still succeeds, with download-url empty, when the panel refuses a download link for the new backup', async () => {
    panel.sim.fault({ route: 'backups.download', kind: 'status', status: 403, body: { errors: [{ code: 'AccessDeniedHttpException', status: '403', detail: 'This action is unauthorized.' }] } });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('successful');
    expect(run.outputs['download-url']).toBeUndefined();
    expect(run.warnings.join('\n')).toContain('download-url is left empty: the panel refused a download link (403: This action is unauthorized.).');
  });

  it('fails the step for a backup that fails, with its outputs set', async () => {
    panel.sim.settings.backupOutcome = 'failure';
    const run = await act(panel, {});
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['backup-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.outputs['download-url']).toBeUndefined();
    expect(run.errors.join('\n')).toMatch(/Server [0-9a-f]{8}: backup .* failed after .*Wings log/);
    expect(run.summary).toContain('failed');
  });

  it('ends a wait that runs out with the backup UUID and what to check', async () => {
    panel.sim.settings.backupOutcome = 'stuck';
    const run = await act(panel, { 'wait-timeout': '3s' });
    expect(run.exitCode).toBe(1);
    const uuid = run.outputs['backup-uuid']!;
    expect(run.outputs.status).toBe('pending');
    expect(run.errors[0]).toContain(`backup ${uuid}`);
    expect(run.errors[0]).toMatch(/^Server [0-9a-f]{8}: backup [0-9a-f-]{36} \('.*'\) is still running after wait-timeout \(3s\).*operation: get/);
  });

  it('waits out the creation throttle when Retry-After fits in wait-timeout', async () => {
    panel.sim.settings.throttleLimit = 1;
    panel.sim.settings.throttlePeriodSec = 3;
    panel.sim.addBackup(panel.server.identifier, { name: 'earlier', createdAt: new Date() });
    const run = await act(panel, { 'wait-timeout': '1m' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/creation throttle refused the backup \(Only 1 backups may be generated within a 3 second span of time\.\); waiting/);
    expect(run.outputs.status).toBe('successful');
    const creates = panel.sim.requests.filter((r) => r.route === 'backups.create');
    expect(creates.at(-1)!.status).toBe(200);
    expect(creates.length).toBeGreaterThanOrEqual(2);
  });

  it('fails, saying when a backup will be allowed, when the throttle outlasts wait-timeout', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'a', createdAt: new Date() });
    panel.sim.addBackup(panel.server.identifier, { name: 'b', createdAt: new Date() });
    const run = await act(panel, { 'wait-timeout': '30s' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/creation throttle refused the backup: Only 2 backups may be generated within a 600 second span of time\. Another backup will be allowed at \d{4}-\d\d-\d\dT.*\(in 9m/);
    expect(countRoute(panel, 'backups.create')).toBe(1);
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('reports the backup limit and never deletes anything without rotate', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    panel.sim.addBackup(panel.server.identifier, { name: 'old', createdAt: new Date(Date.now() - 86_400_000) });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('400 TooManyBackupsException: Cannot create a new backup, this server has reached its limit of 1 backups.');
    expect(countRoute(panel, 'backups.delete')).toBe(0);
  });

  it('refuses before creating when backups are disabled (limit 0)', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 0;
    const run = await act(panel, {});
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/backups are disabled on this server: its backup limit is 0/);
    expect(countRoute(panel, 'backups.create')).toBe(0);
  });

  it('adopts the backup made by a create whose answer was lost, instead of making a second', async () => {
    panel.sim.fault({ route: 'backups.create', kind: 'reset-after' });
    const run = await act(panel, { name: 'lost-answer' });
    expect(run.exitCode).toBe(0);
    const made = panel.sim.requests.filter((r) => r.route === 'backups.create');
    expect(made).toHaveLength(1);
    expect(run.stdout).toMatch(/made by the failed request; using it instead of creating another/);
    expect(run.outputs['backup-name']).toBe('lost-answer');
    expect(run.outputs.status).toBe('successful');
  });

  it('does not adopt an older backup with the same name', async () => {
    panel.sim.addBackup(panel.server.identifier, { name: 'nightly', createdAt: new Date(Date.now() - 3_600_000) });
    panel.sim.fault({ route: 'backups.create', kind: 'daemon-error', status: 504 });
    const run = await act(panel, { name: 'nightly' });
    expect(run.exitCode).toBe(0);
    // The panel rolled the first create back; the second made the only new backup.
    expect(countRoute(panel, 'backups.create')).toBe(2);
    expect(countRoute(panel, 'backups.list')).toBeGreaterThanOrEqual(1);
    const fresh = panel.sim.backup(run.outputs['backup-uuid']!)!;
    expect(Date.parse(fresh.created_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('sends a create again after the general rate limit (429 ThrottleRequestsException)', async () => {
    panel.sim.fault({ route: 'backups.create', kind: 'rate-limit', retryAfterSec: 1 });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.create')).toBe(2);
    expect(run.stdout).toMatch(/rate limited \(429\); trying again in 1\.\d s/);
  });

  it("reports Pterodactyl's 191-character name limit clearly", async () => {
    const run = await act(panel, { name: 'n'.repeat(200) });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/422 ValidationException: The name may not be greater than 191 characters\.\nPterodactyl limits backup names to 191 characters/);
  });

  it('dry-run reads but sends nothing that changes state', async () => {
    const run = await act(panel, { 'dry-run': 'true', name: 'would-be' });
    expect(run.exitCode).toBe(0);
    expect(routes(panel)).toEqual(['server.view']);
    expect(run.stdout).toContain("Dry run: would create backup 'would-be' on server");
    expect(run.outputs['backup-name']).toBe('would-be');
    expect(run.summary).toContain('dry run');
  });

  it('works with a panel served under a path prefix', async () => {
    await panel.sim.close();
    panel = await startPanel({ pathPrefix: '/panel' });
    const run = await act(panel, { 'panel-url': `${panel.sim.panelUrl}/` });
    expect(run.exitCode).toBe(0);
    expect(panel.sim.requests[0]!.path.startsWith('/panel/api/client/servers/')).toBe(true);
  });

  it('works with a server UUID instead of the short id', async () => {
    const run = await act(panel, { 'server-id': panel.server.uuid, wait: 'false' });
    expect(run.exitCode).toBe(0);
  });
});
