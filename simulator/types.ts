// Public types of the Pterodactyl/Pelican panel + Wings simulator.
// Facts come from shared/docs/panel-api.md and shared/docs/wings.md.

export type Flavor = 'pterodactyl' | 'pelican';

export type RouteName =
  | 'client.index'
  | 'server.view'
  | 'server.websocket'
  | 'server.resources'
  | 'server.power'
  | 'server.activity'
  | 'backups.list'
  | 'backups.create'
  | 'backups.view'
  | 'backups.download'
  | 'backups.lock'
  | 'backups.restore'
  | 'backups.delete'
  | 'backups.rename'
  | 'wings.download'
  | 'wings.ws'
  | 'wings.ws.event';

/** Route of a recorded request; unrouted paths are recorded as `panel.unknown` / `wings.unknown`. */
export type RecordedRoute = RouteName | 'panel.unknown' | 'wings.unknown';

export type PowerState = 'running' | 'offline' | 'starting' | 'stopping';
export type PowerSignal = 'start' | 'stop' | 'restart' | 'kill';
export type ServerStatus =
  | null
  | 'installing'
  | 'install_failed'
  | 'reinstall_failed'
  | 'suspended'
  | 'restoring_backup';
export type BackupOutcome = 'success' | 'failure' | 'stuck';

export interface SimSettings {
  /** Time from create to Wings' completion callback. */
  backupDurationMs: number;
  backupOutcome: BackupOutcome;
  /** Size of generated archives (deterministic pseudo-random, streamed). */
  archiveBytes: number;
  /** How far the panel's clock is off when it signs S3 URLs (negative: behind, so URLs arrive expired). */
  s3SigningSkewSec: number;
  throttleLimit: number;
  /** Creation throttle period; 0 disables it. */
  throttlePeriodSec: number;
  /** General client API limit per user and minute. */
  rateLimitPerMinute: number;
  /** Without `Accept: application/json`, errors are redirects/HTML (panel-api.md §5.1). */
  requireAcceptJson: boolean;
  stopDurationMs: number;
  startDurationMs: number;
  killDurationMs: number;
  /** The server ignores 'stop' and stays 'stopping' until 'kill'. */
  wontStop: boolean;
  /** The panel caches /resources (about 20 s); 0 = no cache. */
  resourcesCacheMs: number;
  restoreDurationMs: number;
  restoreOutcome: 'success' | 'failure';
  /** The panel clears the status and writes the activity entry in two steps; this delays the second. */
  restoreActivityLagMs: number;
  /** Wings waits this long for the server to stop before a restore (real: 2 min), then fails it. */
  restoreStopTimeoutMs: number;
  wsTokenLifetimeSec: number;
  /** Wings' expiry ticker (real: 30 s). */
  wsExpiryCheckMs: number;
  wsMaxConnections: number;
  wsAuthBurst: number;
  wsAuthRefillMs: number;
  /** Interval of `stats` messages while the server is running (real: about 1 s); 0 = off. */
  wsStatsIntervalMs: number;
  downloadTokenLifetimeSec: number;
  /** Send `backup completed:<uuid>` like Wings <= 1.5.3. */
  legacyBackupEventName: boolean;
  /** The daemon's `remote` setting, which the Origin must equal; default: the panel URL. */
  wsRemote: string | undefined;
  /** The panel's `app.url`, signed into tokens as `iss`; undefined = the panel URL. It can differ from `wsRemote`. */
  tokenIssuer: string | undefined;
  /** The daemon's `allowed_origins` (`*` allows any). */
  wsAllowedOrigins: string[];
  /**
   * The panel's "Require 2-Factor Authentication" setting (`pterodactyl:auth:2fa_required`):
   * `admins` refuses root admins, `all` every user (simulated accounts never have 2FA set up).
   * Pterodactyl only: Pelican's API has no such middleware. Default `none`.
   */
  twoFactorRequired?: 'none' | 'admins' | 'all';
  /**
   * API keys' IP allow-lists (`allowed_ips`), by the full key (e.g. `sim.apiKey`): addresses or
   * CIDR ranges. A key not listed, or with an empty list, may be used from any address.
   */
  keyAllowedIps?: Record<string, string[]>;
}

export interface SimulatorOptions {
  flavor?: Flavor;
  /** Panel served under a prefix, e.g. '/panel'. */
  pathPrefix?: string;
  /** Panel APP_TIMEZONE offset used in created_at/completed_at (default 0 → "+00:00"). */
  timezoneOffsetMinutes?: number;
  /** Download URLs are S3-presigned-like (reusable for 5 minutes) instead of single-use Wings JWT URLs. */
  s3?: boolean;
  /** Initial values for `sim.settings`. */
  settings?: Partial<SimSettings>;
}

export interface BackupAttributes {
  uuid: string;
  is_successful: boolean;
  is_locked: boolean;
  /** Pelican flavor only. */
  is_scheduled?: boolean;
  name: string;
  ignored_files: string[];
  checksum: string | null;
  bytes: number;
  created_at: string;
  completed_at: string | null;
}

export interface RecordedRequest {
  route: RecordedRoute;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw string, or undefined for an empty body. */
  body: unknown;
  /** 0 when the connection was cut without an answer; 101 for an accepted websocket upgrade. */
  status: number;
  at: number;
}

export type Fault = {
  route: RouteName | RouteName[];
  times?: number;
  /** Matching requests to let through untouched before the fault applies (e.g. 1: the second page). */
  skip?: number;
} & (
  /** A string body is sent as is (text/plain unless `headers` says otherwise); anything else as JSON. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'html'; status: number }
  | { kind: 'reset-before' }
  | { kind: 'reset-after' }
  | { kind: 'delay'; ms: number }
  /** Panel routes only: the request is processed at once, its answer held back `ms`. */
  | { kind: 'delay-response'; ms: number }
  | { kind: 'rate-limit'; retryAfterSec?: number }
  | { kind: 'truncate'; afterBytes: number }
  | { kind: 'corrupt' }
  | { kind: 'drop-event' }
  | { kind: 'daemon-error'; status?: number }
);
export type FaultKind = Fault['kind'];

export interface AddUserOptions {
  permissions: string[];
  /** Key prefix, e.g. 'plcn_' (default: the flavor's client prefix). */
  keyPrefix?: string;
  /** A root admin: passes every permission on every server (and may fetch a websocket token in a conflict state). */
  rootAdmin?: boolean;
}

export interface AddServerOptions {
  identifier?: string;
  uuid?: string;
  name?: string;
  backupLimit?: number;
  status?: ServerStatus;
  suspended?: boolean;
  nodeMaintenance?: boolean;
  transferring?: boolean;
  power?: PowerState;
  /** API keys of the users who can access the server (owner included); default: all users. */
  visibleTo?: 'all' | string[];
}

export interface AddBackupOptions {
  name?: string;
  state?: 'successful' | 'failed' | 'pending';
  locked?: boolean;
  createdAt?: Date;
  completedAt?: Date | null;
  bytes?: number;
  ignoredFiles?: string[];
  deleted?: boolean;
  isScheduled?: boolean;
  /** For a pending backup: let Wings finish it after this many ms (outcome from settings). Default: never. */
  completeInMs?: number;
}

/** Live state of a server; fields may be changed by tests. */
export interface SimServer {
  readonly id: number;
  readonly identifier: string;
  readonly uuid: string;
  name: string;
  backupLimit: number;
  status: ServerStatus;
  /** Mirrors `status === 'suspended'`; setting it true sets that status, false clears it. */
  suspended: boolean;
  nodeMaintenance: boolean;
  transferring: boolean;
  power: PowerState;
  /** Overrides settings.backupOutcome for this server. */
  backupOutcome?: BackupOutcome;
  visibleTo: 'all' | string[];
  /** False once a truncating restore deleted the files (until a restore succeeds). */
  filesPresent: boolean;
}

export interface ServerEvent {
  at: number;
  kind: string;
  detail?: unknown;
}

export interface ActivityAttributes {
  id: string;
  event: string;
  is_api: boolean;
  ip: string;
  description: string | null;
  properties: Record<string, unknown> | unknown[];
  has_additional_metadata: boolean;
  timestamp: string;
}

export interface BackupEventPayload {
  uuid: string;
  is_successful: boolean;
  checksum: string;
  checksum_type: string;
  file_size: number;
}

export interface Simulator {
  readonly flavor: Flavor;
  readonly panelUrl: string;
  readonly wingsUrl: string;
  /** Base URL of the simulated S3 bucket endpoint (only meaningful with `s3: true`). */
  readonly s3Url: string;
  readonly apiKey: string;
  readonly applicationKey: string;
  readonly settings: SimSettings;
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  addUser(opts: AddUserOptions): { apiKey: string; userId: number };
  addServer(opts?: AddServerOptions): SimServer;
  server(idOrUuid: string): SimServer;
  addBackup(serverIdOrUuid: string, opts?: AddBackupOptions): BackupAttributes;
  backup(uuid: string, opts?: { includeDeleted?: boolean }): BackupAttributes | undefined;
  fault(f: Fault): void;
  clearFaults(): void;
  serverEvents(idOrUuid: string): ServerEvent[];
  /** Activity entries, newest first, as GET /activity shows them. */
  activity(idOrUuid: string): ActivityAttributes[];
  /** Push a `backup completed` event to the server's sockets (a string payload is sent as is). */
  emitBackupEvent(serverIdOrUuid: string, payload: Partial<BackupEventPayload> | string): void;
  /** Push an arbitrary event to the server's authenticated sockets. */
  emitWsEvent(serverIdOrUuid: string, event: string, args?: string[]): void;
  /** Number of open websocket connections of a server. */
  wsConnections(serverIdOrUuid: string): number;
  /** Cuts the server's open sockets without a closing handshake, as a network drop would. */
  dropWebsockets(serverIdOrUuid: string): void;
  close(): Promise<void>;
}
