import * as core from '@actions/core';
import { formatBytes, formatElapsed } from '../format.js';
import { backupState } from '../panel/types.js';
import { secrets } from '../secrets.js';
import type { RunReport } from './run-report.js';

const MAX_LISTED_BACKUPS = 100;

/**
 * Writes the job summary. It never fails the step: a problem becomes a warning. Everything in
 * it passes through the secret redactor (the runner's masking does not cover the summary file).
 */
export async function writeSummary(report: RunReport, now: number): Promise<void> {
  try {
    if (!process.env.GITHUB_STEP_SUMMARY) {
      core.debug('No job summary: GITHUB_STEP_SUMMARY is not set.');
      return;
    }
    const summary = core.summary.emptyBuffer();
    const title = `Pterodactyl backup: ${report.operation ?? 'not started'}${report.dryRun ? ' (dry run)' : ''}`;
    summary.addHeading(escape(title), 3);
    const rows: Array<[string, string]> = [];
    if (report.server) rows.push(['Server', report.server.name ? `${report.server.name} (${report.server.id})` : report.server.id]);
    const backup = report.backup;
    if (backup) {
      rows.push(['Name', backup.name]);
      rows.push(['UUID', backup.uuid]);
    }
    const status = report.status ?? (backup ? backupState(backup) : undefined);
    if (status) rows.push(['Status', report.error ? `${status} (step failed)` : status]);
    else if (report.error) rows.push(['Status', 'failed']);
    if (backup?.completedAt && backup.isSuccessful) {
      rows.push(['Size', `${formatBytes(backup.bytes)} (${backup.bytes} bytes)`]);
      if (backup.checksum) rows.push(['Checksum', backup.checksum]);
    }
    if (report.download) {
      rows.push(['Downloaded to', report.download.path]);
      const seconds = report.download.durationMs / 1000;
      const speed = seconds > 0 ? ` at ${formatBytes(report.download.bytes / seconds)}/s` : '';
      rows.push(['Download', `${formatBytes(report.download.bytes)} in ${formatElapsed(report.download.durationMs)}${speed}`]);
    }
    rows.push(['Duration', formatElapsed(now - report.startedAt)]);
    if (rows.length > 0) summary.addTable(rows.map(([key, value]) => [{ data: escape(key), header: true }, escape(value)]));
    if (report.error) summary.addRaw(`<p><strong>Error:</strong> ${escape(report.error)}</p>`, true);
    for (const note of report.notes) summary.addRaw(`<p>${escape(note)}</p>`, true);
    if (report.backups) addBackupTable(summary, report.backups);
    if (report.fleet) addFleetTable(summary, report.fleet);
    if (report.deleted.length > 0) {
      summary.addRaw(`<p>${report.dryRun ? 'Would delete' : 'Deleted'}:</p>`, true);
      summary.addTable([
        [{ data: 'Name', header: true }, { data: 'UUID', header: true }, { data: 'Age', header: true }, { data: 'Size', header: true }],
        ...report.deleted.map((d) => [escape(d.name), escape(d.uuid), formatElapsed(Math.max(0, now - Date.parse(d.createdAt))), formatBytes(d.bytes)]),
      ]);
    }
    const text = secrets.redact(summary.stringify());
    await core.summary.emptyBuffer().addRaw(text).write();
  } catch (error) {
    core.warning(`Job summary not written: ${secrets.redact(error instanceof Error ? error.message : String(error))}`);
  }
}

function addBackupTable(summary: typeof core.summary, backups: RunReport['backups'] & object): void {
  const shown = backups.slice(0, MAX_LISTED_BACKUPS);
  summary.addTable([
    ['Name', 'UUID', 'Status', 'Locked', 'Size', 'Created'].map((data) => ({ data, header: true })),
    ...shown.map((b) => [
      escape(b.name),
      escape(b.uuid),
      backupState(b),
      b.isLocked ? 'yes' : 'no',
      b.completedAt && b.isSuccessful ? formatBytes(b.bytes) : '',
      escape(b.createdAt),
    ]),
  ]);
  if (backups.length > shown.length) summary.addRaw(`<p>…and ${backups.length - shown.length} more (see the backups output).</p>`, true);
}

function addFleetTable(summary: typeof core.summary, results: NonNullable<RunReport['fleet']>): void {
  summary.addTable([
    ['Server', 'Result', 'Backup', 'Status', 'Size', 'Note'].map((data) => ({ data, header: true })),
    ...results.map((r) => [
      escape(r['server-id']),
      r.skipped && r.ok && r.status === null ? 'skipped' : r.ok ? 'ok' : 'failed',
      escape(r['backup-name'] ?? r['backup-uuid'] ?? ''),
      r.status ?? '',
      r.bytes !== null && r.status === 'successful' ? formatBytes(r.bytes) : '',
      escape(r.error ?? r.skipped ?? (r.deleted?.length ? `deleted ${r.deleted.length}` : '')),
    ]),
  ]);
}

/** Redacted first: a secret holding `&`, `<`, `>` or `"` would no longer match once escaped. */
function escape(text: string): string {
  return secrets.redact(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
