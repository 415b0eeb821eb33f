/** Names of the action's inputs, exactly as declared in action.yml. */
export const Input = {
  PanelUrl: 'panel-url',
  ApiKey: 'api-key',
  ServerId: 'server-id',
  Operation: 'operation',
  BackupId: 'backup-id',
  Name: 'name',
  IgnoredFiles: 'ignored-files',
  Locked: 'locked',
  Wait: 'wait',
  WaitTimeout: 'wait-timeout',
  WaitStrategy: 'wait-strategy',
  PollInterval: 'poll-interval',
  DownloadPath: 'download-path',
  SkipIfNewerThan: 'skip-if-newer-than',
  Rotate: 'rotate',
  Keep: 'keep',
  KeepDaily: 'keep-daily',
  KeepWeekly: 'keep-weekly',
  KeepMonthly: 'keep-monthly',
  MaxAge: 'max-age',
  PruneFailed: 'prune-failed',
  RetentionMatch: 'retention-match',
  Truncate: 'truncate',
  RestartServer: 'restart-server',
  DryRun: 'dry-run',
  Headers: 'headers',
  AllowInsecureHttp: 'allow-insecure-http',
  Concurrency: 'concurrency',
  Summary: 'summary',
} as const;
export type InputName = (typeof Input)[keyof typeof Input];

/** Names of the action's outputs, exactly as declared in action.yml. */
export const Output = {
  BackupUuid: 'backup-uuid',
  BackupName: 'backup-name',
  Status: 'status',
  Skipped: 'skipped',
  Checksum: 'checksum',
  Bytes: 'bytes',
  CreatedAt: 'created-at',
  CompletedAt: 'completed-at',
  DownloadUrl: 'download-url',
  Path: 'path',
  Backup: 'backup',
  Backups: 'backups',
  Deleted: 'deleted',
  Results: 'results',
} as const;
export type OutputName = (typeof Output)[keyof typeof Output];

export const OPERATIONS = ['create', 'list', 'get', 'download', 'delete', 'lock', 'unlock', 'restore', 'prune'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const WAIT_STRATEGIES = ['auto', 'websocket', 'poll'] as const;
export type WaitStrategy = (typeof WAIT_STRATEGIES)[number];

/** Pelican's limit on backup names; Pterodactyl's own is 191 (its 422 is reported when hit). */
export const NAME_MAX_LENGTH = 255;
/** Default names are cut to Pterodactyl's limit so they are accepted by both panels. */
export const DEFAULT_NAME_MAX_LENGTH = 191;
