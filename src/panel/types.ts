/** A backup as the client API shows it (panel-api.md §3.1). */
export interface Backup {
  uuid: string;
  name: string;
  isSuccessful: boolean;
  isLocked: boolean;
  /** `sha1:<hex>` (legacy `sha256:<hex>`), or null while running and after a failure. */
  checksum: string | null;
  /** Archive size; 0 until success and after a failure. */
  bytes: number;
  /** ISO-8601 with the panel's own offset (not necessarily UTC). */
  createdAt: string;
  /** Null while the backup is running. */
  completedAt: string | null;
  ignoredFiles: string[];
  /** The attributes exactly as the panel sent them (the `backup` output). */
  attributes: Record<string, unknown>;
}

export type BackupState = 'pending' | 'successful' | 'failed';

/**
 * No `completed_at` means running; otherwise `is_successful` decides (panel-api.md §4.2). A
 * failed backup can still turn successful if the daemon reports late, so "failed" is what the
 * panel says now.
 */
export function backupState(backup: Pick<Backup, 'completedAt' | 'isSuccessful'>): BackupState {
  if (backup.completedAt === null) return 'pending';
  return backup.isSuccessful ? 'successful' : 'failed';
}

export interface BackupList {
  /** Every backup of every page, newest first. */
  backups: Backup[];
  /** `meta.backup_count`: running and successful backups (what counts against the limit). */
  backupCount: number | undefined;
}

/** The server as `GET /api/client/servers/{server}` shows it. */
export interface ServerInfo {
  identifier: string;
  uuid: string;
  name: string;
  /** null when installed and idle; e.g. `restoring_backup`, `installing`, `suspended`. */
  status: string | null;
  isSuspended: boolean;
  isInstalling: boolean;
  isTransferring: boolean;
  isNodeUnderMaintenance: boolean;
  /** `feature_limits.backups`; 0 means backups are disabled. */
  backupLimit: number | null;
  /** `meta.user_permissions` (`["*"]` for the owner and admins), when the panel sends it. */
  permissions: string[] | undefined;
}

export interface ServerView {
  server: ServerInfo;
  /** The panel's clock at the answer (HTTP `Date`), for comparisons with `created_at`. */
  panelDate: Date | undefined;
}

export interface WebsocketCredentials {
  token: string;
  socket: string;
}

export interface ServerResources {
  /** `running`, `offline`, `starting` or `stopping`. */
  currentState: string;
  isSuspended: boolean;
}

export interface ActivityEntry {
  id: string;
  event: string;
  timestamp: string;
  properties: unknown;
}

/** Whether `permissions` grants `permission`; undefined when the panel did not say. */
export function hasPermission(permissions: string[] | undefined, permission: string): boolean | undefined {
  if (!permissions) return undefined;
  // `*` covers every permission that does not start with `admin` (wings.md §1.6).
  return permissions.includes(permission) || (permissions.includes('*') && !permission.startsWith('admin'));
}
