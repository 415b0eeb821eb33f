import type { Operation } from '../constants.js';
import type { Backup } from '../panel/types.js';
import type { FleetResult } from '../fleet/result.js';

/** A backup deleted (or, in a dry run, that would be), for the summary. */
export interface DeletedBackup {
  uuid: string;
  name: string;
  createdAt: string;
  bytes: number;
}

/** What the job summary shows: filled in as the run goes, rendered on every exit path. */
export interface RunReport {
  operation: Operation | undefined;
  /** The server id as given, and its name once read. */
  server: { id: string; name?: string } | undefined;
  dryRun: boolean;
  startedAt: number;
  /** The backup acted on. */
  backup?: Backup;
  /** The name of a backup whose create request went out without a clear answer (yet). */
  creating?: string;
  /** Overrides the backup's own state in the summary (`restoring`, `restored`, `skipped`). */
  status?: string;
  /** `list`: every backup, newest first. */
  backups?: Backup[];
  deleted: DeletedBackup[];
  /** One line per notable event ("Would create ...", "Adopted ..."). */
  notes: string[];
  /** A finished download. */
  download?: { path: string; bytes: number; durationMs: number };
  /** Fleet mode: one entry per server. */
  fleet?: FleetResult[];
  /** The failure message, already free of secrets. */
  error?: string;
}

export function newRunReport(startedAt: number): RunReport {
  return { operation: undefined, server: undefined, dryRun: false, startedAt, deleted: [], notes: [] };
}
