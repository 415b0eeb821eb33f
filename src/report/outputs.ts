import * as core from '@actions/core';
import { Output } from '../constants.js';
import type { OutputName } from '../constants.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import { secrets } from '../secrets.js';

/** The `status` output's values. */
export type StatusOutput = 'successful' | 'failed' | 'pending' | 'restoring' | 'restored';

/**
 * Every output of the run, collected as the run learns them and written in one place on every
 * exit path (success, failure, timeout, cancellation), so `if: failure()` steps can use what is
 * known. Each value is written once.
 */
export class OutputCollector {
  private readonly values = new Map<OutputName, string>();
  private flushed = false;
  private readonly onChange: (() => void) | undefined;

  /** `onChange` runs after every change (fleet mode keeps `results` current with it). */
  constructor(onChange?: () => void) {
    this.onChange = onChange;
  }

  /** The UUID given in backup-id, before the backup itself has been read. */
  setUuid(uuid: string): void {
    this.set(Output.BackupUuid, uuid);
  }

  /** The backup acted on: its UUID, name, status and, once finished, checksum and size. */
  setBackup(backup: Backup): void {
    const state = backupState(backup);
    this.set(Output.BackupUuid, backup.uuid);
    this.set(Output.BackupName, backup.name);
    this.set(Output.Status, state);
    this.set(Output.CreatedAt, backup.createdAt);
    this.set(Output.Backup, JSON.stringify(backup.attributes));
    this.clear(Output.Checksum, Output.Bytes, Output.CompletedAt);
    if (backup.checksum) this.set(Output.Checksum, backup.checksum);
    if (backup.completedAt) {
      this.set(Output.CompletedAt, backup.completedAt);
      this.set(Output.Bytes, String(backup.bytes));
    }
    // A URL belongs to the backup it was made for, and only to a successful one.
    if (state !== 'successful') this.clear(Output.DownloadUrl, Output.Path);
  }

  /** Only a successful backup gets a download URL (interface: empty when it did not succeed). */
  setDownloadUrl(url: string, backup: Backup): void {
    if (backupState(backup) === 'successful') this.set(Output.DownloadUrl, url);
  }

  setStatus(status: StatusOutput): void {
    this.set(Output.Status, status);
  }

  setName(name: string): void {
    this.set(Output.BackupName, name);
  }

  setSkipped(skipped: boolean): void {
    this.set(Output.Skipped, String(skipped));
  }

  setPath(path: string): void {
    this.set(Output.Path, path);
  }

  setBackups(backups: Backup[]): void {
    this.set(Output.Backups, JSON.stringify(backups.map((backup) => backup.attributes)));
  }

  /** Starts the `deleted` output as an empty list (for operations that may delete). */
  startDeleted(): void {
    if (!this.values.has(Output.Deleted)) this.set(Output.Deleted, '[]');
  }

  /** Adds a UUID to the `deleted` output (deleted, or in a dry run, would be). */
  addDeleted(uuid: string): void {
    const list = JSON.parse(this.values.get(Output.Deleted) ?? '[]') as string[];
    if (!list.includes(uuid)) list.push(uuid);
    this.set(Output.Deleted, JSON.stringify(list));
  }

  setResults(results: unknown[]): void {
    this.set(Output.Results, JSON.stringify(results));
  }

  get(name: OutputName): string | undefined {
    return this.values.get(name);
  }

  /** Writes every collected output (once; later calls do nothing). Synchronous, so safe in a signal handler. */
  flush(): void {
    if (this.flushed) return;
    this.flushed = true;
    // Only download-url may hold a secret (a signed URL, masked in the log by the runner).
    for (const [name, value] of this.values) core.setOutput(name, name === Output.DownloadUrl ? value : secrets.redact(value));
  }

  private set(name: OutputName, value: string): void {
    this.values.set(name, value);
    this.onChange?.();
  }

  private clear(...names: OutputName[]): void {
    for (const name of names) this.values.delete(name);
    this.onChange?.();
  }
}
