// The simulator's model: users and keys, servers, backups, activity log, server timelines, timers.
import type {
  ActivityAttributes,
  Flavor,
  PowerState,
  ServerEvent,
  ServerStatus,
  SimServer,
  SimSettings,
  SimulatorOptions,
} from './types.ts';
import { FaultQueue } from './faults.ts';
import { Recorder } from './recorder.ts';
import { FixedWindowLimiter } from './throttle.ts';
import { defaultSettings } from './settings.ts';
import { IDENTIFIER_LENGTH, SECRET_LENGTH, makeKey, randomString, sha1Hex, uuidV4 } from './ids.ts';
import { atom } from './format.ts';

export interface UserModel {
  id: number;
  uuid: string;
  username: string;
  rootAdmin: boolean;
  /** Permissions this user gets as a subuser of servers visible to all. */
  defaultPermissions: string[];
  /** Internal owner of servers not visible to the root user. */
  hidden: boolean;
}

export interface ApiKeyModel {
  identifier: string;
  secret: string;
  type: 'client' | 'application';
  userId: number;
  token: string;
}

export interface ServerModel extends SimServer {
  ownerId: number;
  subusers: Map<number, string[]>;
  /** When the server last reached 'running' (for uptime). */
  runningSince: number | null;
}

export interface BackupModel {
  id: number;
  uuid: string;
  serverId: number;
  name: string;
  ignoredFiles: string[];
  isLocked: boolean;
  isScheduled: boolean;
  isSuccessful: boolean;
  checksum: string | null;
  bytes: number;
  createdAt: number;
  completedAt: number | null;
  deletedAt: number | null;
  /** Size of the archive Wings writes (or wrote). */
  archiveSize: number;
  /** When Wings started writing it, and how long it takes (for partial downloads). */
  startedAt: number;
  durationMs: number;
  disk: 'wings' | 's3';
}

export interface ActivityModel {
  id: number;
  serverId: number;
  event: string;
  properties: Record<string, unknown>;
  timestamp: number;
  isApi: boolean;
  ip: string;
}

/** Implemented by the Wings websocket hub. */
export interface EventSink {
  /** Deliver an event to the authenticated sockets of a server. */
  broadcast(server: ServerModel, event: string, args: string[]): void;
  count(server: ServerModel): number;
  countOpen(server: ServerModel): number;
  closeAll(): void;
}

export class SimCore {
  readonly flavor: Flavor;
  readonly prefix: string;
  readonly tzOffset: number;
  readonly s3: boolean;
  readonly settings: SimSettings;
  panelUrl = '';
  wingsUrl = '';
  s3Url = '';
  /** Wings refuses websocket tokens issued before it booted (W router/tokens/websocket.go denylist). */
  readonly wingsBootSec = Math.floor(Date.now() / 1000) - 1;
  /** The node's daemon token: signs JWTs (app/Services/Nodes/NodeJWTService.php). */
  readonly daemonToken = randomString(64);
  readonly s3Secret = randomString(40);
  readonly users: UserModel[] = [];
  readonly keys = new Map<string, ApiKeyModel>();
  readonly servers: ServerModel[] = [];
  readonly backups: BackupModel[] = [];
  readonly activityLog: ActivityModel[] = [];
  readonly timelines = new Map<number, ServerEvent[]>();
  readonly faults = new FaultQueue();
  readonly recorder = new Recorder();
  readonly generalLimiter = new FixedWindowLimiter();
  readonly restoreLimiter = new FixedWindowLimiter();
  /** W router/tokens/token_store.go: unique_id values already used on /download/backup. */
  readonly usedDownloadIds = new Set<string>();
  readonly resourcesCache = new Map<number, { at: number; data: Record<string, unknown> }>();
  sink: EventSink | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextUserId = 1;
  private nextServerId = 1;
  private nextBackupId = 1;
  private nextActivityId = 1;

  constructor(opts: SimulatorOptions) {
    this.flavor = opts.flavor ?? 'pterodactyl';
    let prefix = opts.pathPrefix ?? '';
    if (prefix !== '' && !prefix.startsWith('/')) prefix = `/${prefix}`;
    this.prefix = prefix.replace(/\/+$/, '');
    this.tzOffset = opts.timezoneOffsetMinutes ?? 0;
    this.s3 = opts.s3 ?? false;
    this.settings = defaultSettings(opts.settings);
  }

  // ---- timers -------------------------------------------------------------------------------
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, ms));
    this.timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- formatting ---------------------------------------------------------------------------
  atom(ms: number): string {
    return atom(ms, this.tzOffset);
  }

  // ---- users and keys -----------------------------------------------------------------------
  clientKeyPrefix(): string {
    // app/Models/ApiKey.php (ptlc_/ptla_); PEL app/Models/ApiKey.php (pacc_/papp_)
    return this.flavor === 'pelican' ? 'pacc_' : 'ptlc_';
  }

  applicationKeyPrefix(): string {
    return this.flavor === 'pelican' ? 'papp_' : 'ptla_';
  }

  createUser(opts: { permissions: string[]; rootAdmin?: boolean; hidden?: boolean }): UserModel {
    const id = this.nextUserId++;
    const user: UserModel = {
      id,
      uuid: uuidV4(),
      username: `user${id}`,
      rootAdmin: opts.rootAdmin ?? false,
      defaultPermissions: [...opts.permissions],
      hidden: opts.hidden ?? false,
    };
    this.users.push(user);
    return user;
  }

  createKey(user: UserModel, type: 'client' | 'application', prefix?: string): string {
    const p = prefix ?? (type === 'client' ? this.clientKeyPrefix() : this.applicationKeyPrefix());
    const { identifier, secret } = makeKey(p);
    const token = identifier + secret;
    this.keys.set(identifier, { identifier, secret, type, userId: user.id, token });
    return token;
  }

  /** ApiKey::findToken: look up by the first 16 characters, compare the rest. Prefixes are not checked. */
  authenticate(token: string | null): { key: ApiKeyModel; user: UserModel } | null {
    if (!token || token.length !== IDENTIFIER_LENGTH + SECRET_LENGTH) return null;
    const key = this.keys.get(token.slice(0, IDENTIFIER_LENGTH));
    if (!key || key.secret !== token.slice(IDENTIFIER_LENGTH)) return null;
    const user = this.users.find((u) => u.id === key.userId);
    return user ? { key, user } : null;
  }

  userByKey(token: string): UserModel | undefined {
    return this.authenticate(token)?.user;
  }

  rootUser(): UserModel {
    const root = this.users[0];
    if (!root) throw new Error('simulator has no root user');
    return root;
  }

  hiddenOwner(): UserModel {
    return this.users.find((u) => u.hidden) ?? this.createUser({ permissions: [], hidden: true });
  }

  // ---- servers ------------------------------------------------------------------------------
  newServerId(): number {
    return this.nextServerId++;
  }

  /** app/Http/Middleware/Api/Client/SubstituteClientBindings.php: 8 characters → uuidShort, else uuid. */
  bindServer(value: string): ServerModel | undefined {
    return value.length === 8
      ? this.servers.find((s) => s.identifier === value)
      : this.servers.find((s) => s.uuid === value);
  }

  /** For the programmatic API: identifier, uuid or internal id. */
  findServer(idOrUuid: string): ServerModel | undefined {
    return (
      this.servers.find((s) => s.identifier === idOrUuid || s.uuid === idOrUuid) ??
      this.servers.find((s) => String(s.id) === idOrUuid)
    );
  }

  serverById(id: number): ServerModel | undefined {
    return this.servers.find((s) => s.id === id);
  }

  isOwner(user: UserModel, server: ServerModel): boolean {
    return server.ownerId === user.id;
  }

  hasAccess(user: UserModel, server: ServerModel): boolean {
    return user.rootAdmin || this.isOwner(user, server) || server.subusers.has(user.id);
  }

  /** app/Policies/ServerPolicy.php: owner and root admins always pass; subusers need the permission. */
  can(user: UserModel, server: ServerModel, permission: string): boolean {
    if (user.rootAdmin || this.isOwner(user, server)) return true;
    return server.subusers.get(user.id)?.includes(permission) ?? false;
  }

  /** app/Services/Servers/GetUserPermissionsService.php */
  permissionsFor(user: UserModel, server: ServerModel): string[] {
    if (user.rootAdmin) {
      return ['*', 'admin.websocket.errors', 'admin.websocket.install', 'admin.websocket.transfer'];
    }
    if (this.isOwner(user, server)) return ['*'];
    return [...(server.subusers.get(user.id) ?? [])];
  }

  isSuspended(server: ServerModel): boolean {
    return server.status === 'suspended';
  }

  setStatus(server: ServerModel, status: ServerStatus): void {
    server.status = status;
  }

  setPower(server: ServerModel, power: PowerState): void {
    if (server.power === power) return;
    server.power = power;
    server.runningSince = power === 'running' ? Date.now() : power === 'offline' ? null : server.runningSince;
    this.recordEvent(server, `state:${power}`);
    this.sink?.broadcast(server, 'status', [power]);
  }

  // ---- backups ------------------------------------------------------------------------------
  newBackupId(): number {
    return this.nextBackupId++;
  }

  /** Backups of a server in insertion (id) order; soft-deleted ones only when asked. */
  backupsOf(server: ServerModel, includeDeleted = false): BackupModel[] {
    return this.backups.filter((b) => b.serverId === server.id && (includeDeleted || b.deletedAt === null));
  }

  /** Scoped binding: the uuid must belong to this server and not be deleted. */
  bindBackup(server: ServerModel, uuid: string): BackupModel | undefined {
    return this.backups.find((b) => b.serverId === server.id && b.uuid === uuid && b.deletedAt === null);
  }

  backupByUuid(uuid: string): BackupModel | undefined {
    return this.backups.find((b) => b.uuid === uuid);
  }

  deleteBackup(backup: BackupModel): void {
    backup.deletedAt = Date.now();
    // PEL database/migrations/2026_08_06_100741_drop_backup_soft_deletes.php: hard delete
    if (this.flavor === 'pelican') {
      const i = this.backups.indexOf(backup);
      if (i >= 0) this.backups.splice(i, 1);
    }
  }

  // ---- timeline and activity ----------------------------------------------------------------
  recordEvent(server: ServerModel, kind: string, detail?: unknown): void {
    let list = this.timelines.get(server.id);
    if (!list) {
      list = [];
      this.timelines.set(server.id, list);
    }
    list.push(detail === undefined ? { at: Date.now(), kind } : { at: Date.now(), kind, detail });
  }

  logActivity(server: ServerModel, event: string, properties: Record<string, unknown> = {}, isApi = true): void {
    this.activityLog.push({
      id: this.nextActivityId++,
      serverId: server.id,
      event,
      properties,
      timestamp: Date.now(),
      isApi,
      ip: '127.0.0.1',
    });
  }

  /** Newest first (ActivityLogController: default sort -timestamp). */
  activityOf(server: ServerModel): ActivityModel[] {
    return this.activityLog
      .filter((a) => a.serverId === server.id)
      .sort((a, b) => b.timestamp - a.timestamp || b.id - a.id);
  }

  activityAttributes(a: ActivityModel): ActivityAttributes {
    const keys = Object.keys(a.properties);
    return {
      id: sha1Hex(String(a.id)),
      event: a.event,
      is_api: a.isApi,
      ip: a.ip,
      description: null,
      // An empty PHP array serialises as [] (see the fixture); otherwise an object.
      properties: keys.length === 0 ? [] : a.properties,
      // ActivityLogTransformer::hasAdditionalMetadata: keys beyond those the translation shows.
      has_additional_metadata: keys.some((k) => !['name', 'truncate', 'ip', 'useragent', 'using_sftp'].includes(k)),
      timestamp: this.atom(a.timestamp),
    };
  }
}
