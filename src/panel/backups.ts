import { backupState } from './types.js';
import type { Backup } from './types.js';

/** `created_at` as epoch milliseconds, honouring its offset (the panel's timezone need not be UTC). */
export function createdAtMs(backup: Pick<Backup, 'createdAt'>): number {
  const ms = Date.parse(backup.createdAt);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Newest first by `created_at`. The panel lists in insertion order without sorting
 * (panel-api.md §2.3), so for equal timestamps the later entry is the newer one.
 */
export function sortNewestFirst(backups: Backup[]): Backup[] {
  return backups
    .map((backup, index) => ({ backup, index, at: createdAtMs(backup) }))
    .sort((a, b) => b.at - a.at || b.index - a.index)
    .map(({ backup }) => backup);
}

/**
 * The backups that hold a slot against the server's limit: running and successful ones, as
 * `meta.backup_count` counts them (panel-api.md §3.2); failed ones hold none.
 */
export function slotsHeld(backups: Backup[]): number {
  return backups.filter((backup) => backupState(backup) !== 'failed').length;
}
