import type { HttpMethod, HttpTransport } from '../http/transport.js';
import { NetworkError } from '../http/network-error.js';
import { decideRetry, DEFAULT_RETRY_LIMITS } from '../http/retry-policy.js';
import type { AttemptOutcome, RequestKind, RetryLimits } from '../http/retry-policy.js';
import { sleep } from '../time.js';
import type { RateBudget } from '../http/rate-budget.js';
import { secrets } from '../secrets.js';
import { panelErrorFromResponse } from './errors.js';
import type { RequestLabel } from './errors.js';
import {
  parseActivityEntry,
  parseBackupEnvelope,
  parseJson,
  parseListPage,
  parseResources,
  parseServerAttributes,
  parseServerEnvelope,
  parseSignedUrl,
  parseWebsocketCredentials,
} from './parse.js';
import type { ListPage } from './parse.js';
import { sortNewestFirst } from './backups.js';
import type { ActivityEntry, Backup, BackupList, ServerInfo, ServerResources, ServerView, WebsocketCredentials } from './types.js';

export interface PanelClientOptions {
  /** Panel base URL without a trailing slash. */
  baseUrl: URL;
  apiKey: string;
  /** Extra headers from the `headers` input. */
  headers: Record<string, string>;
  transport: HttpTransport;
  /** Aborted on cancellation. */
  signal: AbortSignal;
  limits?: RetryLimits;
  random?: () => number;
  now?: () => number;
  /** Waits between attempts (tests pass one that returns at once). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The rate-limit budget shared by every request of the run. */
  budget?: RateBudget;
  /** Where retry notices go. */
  log?: (message: string) => void;
}

interface Call {
  method: HttpMethod;
  /** Path under `/api/client`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  kind: RequestKind;
  permission?: string;
  timeoutMs?: number;
  /**
   * The route also has a throttle of its own per server (Pelican and Pterodactyl 1.12: the
   * websocket token and the restore; PEL: app/Enums/ResourceLimit.php), whose 429 carries the
   * same code as the per-user limit's: it must not hold the other servers' requests.
   */
  serverThrottle?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Page size for lists: the panel's maximum (panel-api.md §2.3). */
const BACKUPS_PER_PAGE = 50;
const SERVERS_PER_PAGE = 100;
const MAX_PAGES = 1_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** The create and the restore wait for the panel's own call to the daemon inside its transaction. */
export const CREATE_TIMEOUT_MS = 60_000;

/**
 * The panel's client API (`/api/client`): one method per route the action uses, each with the
 * retry rule its method allows. Errors come out as `PanelError` (the panel answered),
 * `NetworkError` (it did not) or `UnexpectedResponseError` (a 2xx of the wrong shape).
 */
export class PanelClient {
  private readonly options: PanelClientOptions;
  private readonly limits: RetryLimits;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: PanelClientOptions) {
    this.options = options;
    this.limits = options.limits ?? DEFAULT_RETRY_LIMITS;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  /** `GET /servers/{server}`: always allowed, even while the server is restoring (§1.1). */
  async getServer(serverId: string): Promise<ServerView> {
    const answer = await this.call({ method: 'GET', path: serverPath(serverId), kind: 'read' });
    const date = answer.headers.date ? new Date(answer.headers.date) : undefined;
    return {
      server: parseServerEnvelope(this.json(answer, 'the server')),
      panelDate: date && !Number.isNaN(date.getTime()) ? date : undefined,
    };
  }

  /** `GET /` — the servers the key can see, every page. */
  async listServers(): Promise<ServerInfo[]> {
    const pages = await this.allPages({ method: 'GET', path: '', kind: 'read' }, SERVERS_PER_PAGE, (item) => {
      const envelope = item as { attributes?: unknown };
      return parseServerAttributes(envelope?.attributes, 'a server');
    }, 'the server list');
    return pages.flatMap((page) => page.items);
  }

  /**
   * `GET /servers/{server}/backups`, every page with page URLs built here (the panel's `links`
   * drop `per_page`, §3.2), newest first.
   */
  async listBackups(serverId: string): Promise<BackupList> {
    const pages = await this.allPages(
      { method: 'GET', path: `${serverPath(serverId)}/backups`, kind: 'read', permission: 'backup.read' },
      BACKUPS_PER_PAGE,
      (item) => parseBackupEnvelope(item, 'a listed backup'),
      'the backup list',
    );
    // A backup created or deleted while paging can shift an entry onto two pages.
    const seen = new Set<string>();
    const backups = pages.flatMap((page) => page.items).filter((backup) => !seen.has(backup.uuid) && seen.add(backup.uuid));
    const count = pages[0]?.meta.backup_count;
    return { backups: sortNewestFirst(backups), backupCount: typeof count === 'number' ? count : undefined };
  }

  async getBackup(serverId: string, uuid: string): Promise<Backup> {
    const answer = await this.call({ method: 'GET', path: backupPath(serverId, uuid), kind: 'read', permission: 'backup.read' });
    return parseBackupEnvelope(this.json(answer, 'the backup'));
  }

  /**
   * `POST /servers/{server}/backups`, sent once: an ambiguous failure is the create operation's
   * to resolve (it lists the backups before it tries again). `ignored` is one newline-joined
   * string and `is_locked` a JSON boolean (§2.1).
   */
  async createBackup(serverId: string, request: { name: string; ignored: string[]; locked: boolean }): Promise<Backup> {
    const body: Record<string, unknown> = { name: request.name, is_locked: request.locked };
    if (request.ignored.length > 0) body.ignored = request.ignored.join('\n');
    const answer = await this.call({
      method: 'POST',
      path: `${serverPath(serverId)}/backups`,
      body,
      kind: 'once',
      permission: 'backup.create',
      timeoutMs: CREATE_TIMEOUT_MS,
    });
    return parseBackupEnvelope(this.json(answer, 'the new backup'));
  }

  /** `POST .../lock` flips the lock (there is no lock/unlock pair, §1); sent once. */
  async toggleLock(serverId: string, uuid: string): Promise<Backup> {
    const answer = await this.call({ method: 'POST', path: `${backupPath(serverId, uuid)}/lock`, kind: 'once', permission: 'backup.delete' });
    return parseBackupEnvelope(this.json(answer, 'the backup'));
  }

  /** `DELETE .../{backup}`: repeated on transient failures; a 404 after such a repeat means it is gone. */
  async deleteBackup(serverId: string, uuid: string): Promise<void> {
    await this.call({ method: 'DELETE', path: backupPath(serverId, uuid), kind: 'delete', permission: 'backup.delete' });
  }

  /** `GET .../download`: a fresh signed URL (masked at once). The panel does not check the backup's state. */
  async getDownloadUrl(serverId: string, uuid: string): Promise<string> {
    const answer = await this.call({ method: 'GET', path: `${backupPath(serverId, uuid)}/download`, kind: 'read', permission: 'backup.download' });
    const url = parseSignedUrl(this.json(answer, 'the download link'));
    secrets.addUrl(url);
    return url;
  }

  /** `POST .../restore` with `truncate` as a JSON boolean; sent once (204). */
  async restoreBackup(serverId: string, uuid: string, truncate: boolean): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${backupPath(serverId, uuid)}/restore`,
      body: { truncate },
      kind: 'once',
      permission: 'backup.restore',
      timeoutMs: CREATE_TIMEOUT_MS,
      serverThrottle: true,
    });
  }

  /** `POST /power` (204); sent once. */
  async sendPowerSignal(serverId: string, signal: 'start' | 'stop' | 'restart' | 'kill'): Promise<void> {
    const permission = signal === 'start' ? 'control.start' : signal === 'restart' ? 'control.restart' : 'control.stop';
    await this.call({ method: 'POST', path: `${serverPath(serverId)}/power`, body: { signal }, kind: 'once', permission });
  }

  /** `GET /resources`; the panel caches it for about 20 s (§11). */
  async getResources(serverId: string): Promise<ServerResources> {
    const answer = await this.call({ method: 'GET', path: `${serverPath(serverId)}/resources`, kind: 'read' });
    return parseResources(this.json(answer, 'the server resources'));
  }

  /** `GET /activity`, newest first, the first page only (filtered by event when given). */
  async listActivity(serverId: string, eventFilter?: string): Promise<ActivityEntry[]> {
    const query: Record<string, string | number> = { per_page: 50, sort: '-timestamp' };
    if (eventFilter) query['filter[event]'] = eventFilter;
    const answer = await this.call({ method: 'GET', path: `${serverPath(serverId)}/activity`, query, kind: 'read', permission: 'activity.read' });
    return parseListPage(this.json(answer, 'the activity log'), parseActivityEntry, 'the activity log').items;
  }

  /** `GET /websocket`: the daemon's socket URL and a 10-minute token (masked at once). */
  async getWebsocketCredentials(serverId: string): Promise<WebsocketCredentials> {
    const answer = await this.call({ method: 'GET', path: `${serverPath(serverId)}/websocket`, kind: 'read', permission: 'websocket.connect', serverThrottle: true });
    const credentials = parseWebsocketCredentials(this.json(answer, 'the websocket credentials'));
    secrets.add(credentials.token);
    return credentials;
  }

  private async allPages<T>(call: Call, perPage: number, parseItem: (item: unknown) => T, what: string): Promise<Array<ListPage<T>>> {
    const pages: Array<ListPage<T>> = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.call({ ...call, query: { ...call.query, page, per_page: perPage } });
      const parsed = parseListPage(this.json(answer, what), parseItem, what);
      pages.push(parsed);
      if (page >= parsed.totalPages || parsed.items.length === 0) break;
    }
    return pages;
  }

  private json(answer: Answer, what: string): unknown {
    return parseJson(answer.text, what);
  }

  /** One request with its retry rule applied. */
  private async call(call: Call): Promise<Answer> {
    const url = new URL(this.options.baseUrl.href);
    url.pathname = `${this.options.baseUrl.pathname.replace(/\/+$/, '')}/api/client${call.path}`;
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, String(value));
    const label: RequestLabel = { method: call.method, path: call.path || '/', permission: call.permission };
    const headers: Record<string, string> = {
      ...this.options.headers,
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);

    let attempt = 0;
    let rateLimitRetries = 0;
    let mayHaveArrived = false;
    for (;;) {
      attempt++;
      let outcome: AttemptOutcome;
      let failure: Error;
      const wait = this.options.budget?.reserve() ?? 0;
      if (wait > 0) await this.sleep(wait, this.options.signal);
      try {
        const answer = await this.options.transport.request({
          method: call.method,
          url,
          headers,
          ...(body !== undefined ? { body } : {}),
          timeoutMs: call.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          signal: this.options.signal,
        });
        if (answer.status !== 429) this.options.budget?.update(answer.headers);
        if (answer.status >= 200 && answer.status < 300) return answer;
        // A repeated DELETE answered 404 has succeeded: an earlier attempt removed the backup.
        if (call.kind === 'delete' && answer.status === 404 && mayHaveArrived) return { ...answer, status: 204 };
        const error = panelErrorFromResponse(answer, label);
        outcome = { type: 'status', status: answer.status, errorCode: error.code, headers: answer.headers };
        failure = error;
        if (answer.status >= 500) mayHaveArrived = true;
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        outcome = { type: 'network', kind: error.kind, sent: error.sent };
        failure = error;
        if (error.sent) mayHaveArrived = true;
      }
      const decision = decideRetry(call.kind, outcome, { attempt, rateLimitRetries }, this.limits, this.now(), this.random);
      if (!decision.retry) throw failure;
      if (outcome.type === 'status' && outcome.status === 429) {
        // Waiting out the rate limiter is not a failed attempt. The general limit is per user, so
        // every request of the run waits with this one (the creation throttle, per server, is not
        // retried here; a route with a per-server throttle holds only itself).
        rateLimitRetries++;
        attempt--;
        if (!call.serverThrottle) this.options.budget?.holdUntil(this.now() + decision.delayMs);
      }
      this.options.log?.(`${label.method} ${label.path}: ${decision.reason}; trying again in ${(decision.delayMs / 1000).toFixed(1)} s.`);
      await this.sleep(decision.delayMs, this.options.signal);
    }
  }
}

function serverPath(serverId: string): string {
  return `/servers/${encodeURIComponent(serverId)}`;
}

function backupPath(serverId: string, uuid: string): string {
  return `${serverPath(serverId)}/backups/${encodeURIComponent(uuid)}`;
}

