import type { Operation, WaitStrategy } from '../constants.js';

/** Which backup an operation acts on. */
export type BackupRef = { kind: 'uuid'; uuid: string } | { kind: 'latest' };

/**
 * The servers named by `server-id`. Fleet mode is decided by the syntax of the input
 * (a list, or `all`), not by how many servers it yields.
 */
export type ServerSelection =
  | { mode: 'single'; id: string }
  | { mode: 'list'; ids: string[] }
  | { mode: 'all' };

/** Retention rules; a field is undefined when its input was left empty. */
export interface RetentionRules {
  /** Keep the newest N successful matching backups. */
  keep: number | undefined;
  /** Keep the newest backup of each of the last N days (UTC) that have backups. */
  keepDaily: number | undefined;
  /** Keep the newest backup of each of the last N ISO weeks (UTC) that have backups. */
  keepWeekly: number | undefined;
  /** Keep the newest backup of each of the last N months (UTC) that have backups. */
  keepMonthly: number | undefined;
  /** Keep successful backups younger than this many milliseconds. */
  maxAgeMs: number | undefined;
  /** Also delete failed, unlocked, matching backups. */
  pruneFailed: boolean;
}

/** Whether any retention rule is set (keep, keep-daily/-weekly/-monthly, max-age, prune-failed). */
export function hasRetentionRules(r: RetentionRules): boolean {
  return r.keep !== undefined || r.keepDaily !== undefined || r.keepWeekly !== undefined || r.keepMonthly !== undefined || r.maxAgeMs !== undefined || r.pruneFailed;
}

/** Everything the action was asked to do, parsed and validated from its inputs. */
export interface Settings {
  /** Panel base URL without a trailing slash (a path prefix is kept). */
  panelUrl: URL;
  /** Client API key (already masked). */
  apiKey: string;
  /** The server or servers to work on. */
  servers: ServerSelection;
  /** What to do. */
  operation: Operation;
  /** The backup to act on (get, download, delete, lock, unlock, restore). */
  backupId: BackupRef | undefined;
  /** Backup name for `create`; undefined means the default from the workflow context. */
  name: string | undefined;
  /** Patterns to leave out of the backup, one per entry. */
  ignoredFiles: string[];
  /** Create the backup locked. */
  locked: boolean;
  /** Wait until the backup (or restore) has finished. */
  wait: boolean;
  /** How long to wait, in milliseconds. */
  waitTimeoutMs: number;
  /** How to wait for a backup. */
  waitStrategy: WaitStrategy;
  /** Interval of the REST poll, in milliseconds. */
  pollIntervalMs: number;
  /** Where to stream the archive to, as given (resolved against the workspace when used). */
  downloadPath: string | undefined;
  /** Skip the create when a matching successful backup is younger than this (milliseconds). */
  skipIfNewerThanMs: number | undefined;
  /** Delete the oldest deletable backup when the server is at its backup limit. */
  rotate: boolean;
  /** Retention rules applied after a successful create, or by `prune`. */
  retention: RetentionRules;
  /** Glob lines selecting the backups that rotation, retention, `latest` and skip may consider. */
  retentionMatch: string[];
  /** Delete all server files before restoring. */
  truncate: boolean;
  /** Stop the server before a restore and start it again afterwards. */
  restartServer: boolean;
  /** Say what would change; change nothing. */
  dryRun: boolean;
  /** Extra request headers for the panel (values already masked). */
  headers: Record<string, string>;
  /** Permit http:// panel URLs and ws:// / http:// daemon URLs. */
  allowInsecureHttp: boolean;
  /** How many servers are worked on at once in fleet mode. */
  concurrency: number;
  /** Write a job summary. */
  summary: boolean;
}
