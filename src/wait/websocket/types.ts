/** A `backup completed` event from the daemon (Wings: server/backup.go). */
export interface BackupCompletedEvent {
  uuid: string;
  isSuccessful: boolean;
  /** Lower-case hex SHA-1 of the archive; '' on failure. */
  checksum: string;
  /** `sha1`. */
  checksumType: string;
  /** Archive size in bytes; 0 on failure. */
  fileSize: number;
  /** Epoch ms when it arrived. */
  receivedAt: number;
}

/** What `BackupEvents.next` resolves with. */
export type BackupSignal =
  | { type: 'completed'; event: BackupCompletedEvent }
  | { type: 'gap'; why: string }
  | { type: 'lost'; why: string }
  | { type: 'timeout' };
