import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FleetResult } from '../../src/fleet/result.js';
import type { Backup } from '../../src/panel/types.js';
import { newRunReport } from '../../src/report/run-report.js';
import type { RunReport } from '../../src/report/run-report.js';
import { writeSummary } from '../../src/report/summary.js';
import { secrets } from '../../src/secrets.js';
import { aBackup, BACKUP_UUID } from '../support/backup.ts';

const STARTED = Date.parse('2026-11-26T12:00:00Z');
const UUID = BACKUP_UUID;
const backup = (overrides: Partial<Backup> = {}): Backup => aBackup({ name: 'octo/site@abc1234 run 1.1', ...overrides });

function report(fields: Partial<RunReport>): RunReport {
  return { ...newRunReport(STARTED), operation: 'create', server: { id: '1a2b3c4d' }, ...fields };
}

// @actions/core keeps the path of the first summary file it writes: one file for every test.
const dir = mkdtempSync(join(tmpdir(), 'summary-'));
const file = join(dir, 'summary');
beforeEach(() => {
  writeFileSync(file, '');
  vi.stubEnv('GITHUB_STEP_SUMMARY', file);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The summary written for `run`, `elapsedMs` after the start. */
async function written(run: RunReport, elapsedMs = 65_000): Promise<string> {
  await writeSummary(run, STARTED + elapsedMs);
  return readFileSync(file, 'utf8');
}

/** A two-column row of the summary's first table. */
const row = (key: string, value: string) => `<tr><th>${key}</th><td>${value}</td></tr>`;

describe('writeSummary', () => {
  it('shows the server, the backup, its size and checksum, the download and the duration', async () => {
    const text = await written(
      report({ server: { id: '1a2b3c4d', name: 'Survival' }, backup: backup(), download: { path: '/w/backup.tar.gz', bytes: 2 * 1024 ** 2, durationMs: 2_000 } }),
    );
    expect(text).toContain('<h3>Pterodactyl backup: create</h3>');
    expect(text).toContain(row('Server', 'Survival (1a2b3c4d)'));
    expect(text).toContain(row('UUID', UUID));
    expect(text).toContain(row('Status', 'successful'));
    expect(text).toContain(row('Size', '1.5 KiB (1536 bytes)'));
    expect(text).toContain(row('Checksum', `sha1:${'a'.repeat(40)}`));
    expect(text).toContain(row('Downloaded to', '/w/backup.tar.gz'));
    expect(text).toContain(row('Download', '2.0 MiB in 2s at 1.0 MiB/s'));
    expect(text).toContain(row('Duration', '1m 05s'));
  });

  it('gives no speed for a download that took no measurable time', async () => {
    const text = await written(report({ backup: backup(), download: { path: '/w/backup.tar.gz', bytes: 1536, durationMs: 0 } }));
    expect(text).toContain(row('Download', '1.5 KiB in 0 ms'));
  });

  it('marks the status of a failed step and shows its error, with no size for a failed backup', async () => {
    const text = await written(report({ backup: backup({ isSuccessful: false, bytes: 0, checksum: null }), error: 'Server 1a2b3c4d: backup failed.' }));
    expect(text).toContain(row('Status', 'failed (step failed)'));
    expect(text).toContain('<p><strong>Error:</strong> Server 1a2b3c4d: backup failed.</p>');
    expect(text).not.toContain('<th>Size</th>');
  });

  it('says failed, and not started, when the inputs were refused', async () => {
    const text = await written({ ...newRunReport(STARTED), error: 'Invalid input: keep expected a whole number of at least 1\nNo request was sent to the panel.' });
    expect(text).toContain('<h3>Pterodactyl backup: not started</h3>');
    expect(text).toContain(row('Status', 'failed'));
    expect(text).toContain('No request was sent to the panel.');
  });

  it('lists at most 100 backups, saying how many more there are', async () => {
    const backups = Array.from({ length: 103 }, (_, i) => backup({ uuid: `b${i}`, name: `backup ${i}`, isLocked: i === 0 }));
    const text = await written(report({ operation: 'list', backups }));
    expect(text).toContain('<tr><td>backup 0</td><td>b0</td><td>successful</td><td>yes</td><td>1.5 KiB</td>');
    expect(text).toContain('<tr><td>backup 99</td><td>b99</td><td>successful</td><td>no</td>');
    expect(text).not.toContain('backup 100');
    expect(text).toContain('…and 3 more (see the backups output).');
  });

  it('escapes markup in names, and redacts a secret that holds markup characters', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    secrets.add('tok&en<sec>ret"42');
    stdout.mockRestore();
    const text = await written(report({ backup: backup({ name: '<img src=x> & "quoted"' }), notes: ['Sent tok&en<sec>ret"42 by mistake.'] }));
    expect(text).toContain(row('Name', '&lt;img src=x&gt; &amp; &quot;quoted&quot;'));
    expect(text).not.toContain('<img');
    expect(text).toContain('<p>Sent *** by mistake.</p>');
    expect(text).not.toContain('tok');
  });

  it('shows one fleet row per server: skipped, ok with what it deleted, or failed with its error', async () => {
    const result = (fields: Partial<FleetResult>): FleetResult => ({
      'server-id': '1a2b3c4d',
      ok: true,
      error: null,
      skipped: null,
      'backup-uuid': null,
      'backup-name': null,
      status: null,
      checksum: null,
      bytes: null,
      path: null,
      deleted: null,
      ...fields,
    });
    const fleet = [
      result({ 'server-id': 'aaaaaaaa', skipped: 'suspended' }),
      result({ 'server-id': 'bbbbbbbb', 'backup-name': 'nightly', status: 'successful', bytes: 2048, deleted: ['x', 'y'] }),
      result({ 'server-id': 'cccccccc', ok: false, error: 'Server cccccccc: backup failed.', status: 'failed', bytes: 0 }),
    ];
    const text = await written(report({ server: undefined, fleet }));
    // @actions/core writes an empty cell as a lone <td>.
    expect(text).toContain('<tr><td>aaaaaaaa</td><td>skipped</td><td><td><td><td>suspended</td></tr>');
    expect(text).toContain('<tr><td>bbbbbbbb</td><td>ok</td><td>nightly</td><td>successful</td><td>2.0 KiB</td><td>deleted 2</td></tr>');
    expect(text).toContain('<tr><td>cccccccc</td><td>failed</td><td><td>failed</td><td><td>Server cccccccc: backup failed.</td></tr>');
  });

  it('lists what a dry run would delete, with age and size', async () => {
    const text = await written(
      report({
        dryRun: true,
        deleted: [
          { uuid: 'old-one', name: 'octo/site@abc1234 run 1.1', createdAt: '2026-11-24T12:00:00Z', bytes: 3 * 1024 ** 2 },
          // A panel clock ahead of the runner's dates a backup after now: its age is 0, never negative.
          { uuid: 'skewed', name: 'octo/site@abc1234 run 2.1', createdAt: '2026-11-26T12:05:00Z', bytes: 0 },
        ],
      }),
    );
    expect(text).toContain('<h3>Pterodactyl backup: create (dry run)</h3>');
    expect(text).toContain('<p>Would delete:</p>');
    expect(text).toContain('<tr><td>octo/site@abc1234 run 1.1</td><td>old-one</td><td>48h 01m 05s</td><td>3.0 MiB</td></tr>');
    expect(text).toContain('<tr><td>octo/site@abc1234 run 2.1</td><td>skewed</td><td>0 ms</td><td>0 B</td></tr>');
  });
});
