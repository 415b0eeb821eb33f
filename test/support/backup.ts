import type { Backup } from '../../src/panel/types.js';

export const BACKUP_UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** A successful, unlocked backup of 1.5 KiB made at 11:00 on 2026-11-26 (UTC); `overrides` change any field. */
export function aBackup(overrides: Partial<Backup> = {}): Backup {
  return {
    uuid: BACKUP_UUID,
    name: 'nightly',
    isSuccessful: true,
    isLocked: false,
    checksum: `sha1:${'a'.repeat(40)}`,
    bytes: 1536,
    createdAt: '2026-11-26T11:00:00+00:00',
    completedAt: '2026-11-26T11:01:00+00:00',
    ignoredFiles: [],
    attributes: {},
    ...overrides,
  };
}
