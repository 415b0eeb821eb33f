import type { ActivityEntry, Backup, ServerInfo, ServerResources, WebsocketCredentials } from './types.js';

/** The panel answered 2xx with a body that is not what the route returns. */
export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, what: string): Json {
  if (!isObject(value)) throw new UnexpectedResponseError(`${what} is not a JSON object`);
  return value;
}

function field<T>(obj: Json, key: string, check: (value: unknown) => value is T, what: string, expected: string): T {
  const value = obj[key];
  if (!check(value)) throw new UnexpectedResponseError(`${what}: '${key}' is not ${expected}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** Parses JSON text; a body that is not JSON is a shape error. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UnexpectedResponseError(`${what} is not JSON`);
  }
}

/** `{"object":"backup","attributes":{...}}` (panel-api.md §3.1). */
export function parseBackupEnvelope(body: unknown, what = 'the backup'): Backup {
  const envelope = expectObject(body, what);
  if (envelope.object !== 'backup') throw new UnexpectedResponseError(`${what} is not a backup object`);
  return parseBackupAttributes(envelope.attributes, what);
}

export function parseBackupAttributes(value: unknown, what = 'the backup'): Backup {
  const a = expectObject(value, `${what}'s attributes`);
  return {
    uuid: field(a, 'uuid', isString, what, 'a string'),
    name: field(a, 'name', isString, what, 'a string'),
    isSuccessful: field(a, 'is_successful', isBoolean, what, 'a boolean'),
    isLocked: field(a, 'is_locked', isBoolean, what, 'a boolean'),
    checksum: field(a, 'checksum', isStringOrNull, what, 'a string or null'),
    bytes: field(a, 'bytes', isNumber, what, 'a number'),
    createdAt: field(a, 'created_at', isString, what, 'a string'),
    completedAt: field(a, 'completed_at', isStringOrNull, what, 'a string or null'),
    ignoredFiles: field(a, 'ignored_files', isStringArray, what, 'an array of strings'),
    attributes: a,
  };
}

export interface ListPage<T> {
  items: T[];
  currentPage: number;
  totalPages: number;
  meta: Json;
}

/** `{"object":"list","data":[...],"meta":{"pagination":{...}}}` (panel-api.md §3.2). */
export function parseListPage<T>(body: unknown, parseItem: (item: unknown) => T, what: string): ListPage<T> {
  const list = expectObject(body, what);
  if (list.object !== 'list' || !Array.isArray(list.data)) throw new UnexpectedResponseError(`${what} is not a list`);
  const meta = expectObject(list.meta, `${what}'s meta`);
  const pagination = expectObject(meta.pagination, `${what}'s pagination`);
  return {
    items: list.data.map(parseItem),
    currentPage: field(pagination, 'current_page', isNumber, what, 'a number'),
    totalPages: field(pagination, 'total_pages', isNumber, what, 'a number'),
    meta,
  };
}

/** `{"object":"server","attributes":{...},"meta":{"user_permissions":[...]}}`. */
export function parseServerEnvelope(body: unknown, what = 'the server'): ServerInfo {
  const envelope = expectObject(body, what);
  if (envelope.object !== 'server') throw new UnexpectedResponseError(`${what} is not a server object`);
  const server = parseServerAttributes(envelope.attributes, what);
  const meta = isObject(envelope.meta) ? envelope.meta : {};
  return { ...server, permissions: isStringArray(meta.user_permissions) ? meta.user_permissions : undefined };
}

export function parseServerAttributes(value: unknown, what = 'the server'): ServerInfo {
  const a = expectObject(value, `${what}'s attributes`);
  const limits = isObject(a.feature_limits) ? a.feature_limits : {};
  return {
    identifier: field(a, 'identifier', isString, what, 'a string'),
    uuid: field(a, 'uuid', isString, what, 'a string'),
    name: field(a, 'name', isString, what, 'a string'),
    status: field(a, 'status', isStringOrNull, what, 'a string or null'),
    isSuspended: a.is_suspended === true,
    isInstalling: a.is_installing === true,
    isTransferring: a.is_transferring === true,
    isNodeUnderMaintenance: a.is_node_under_maintenance === true,
    backupLimit: isNumber(limits.backups) ? limits.backups : null,
    permissions: undefined,
  };
}

/** `{"object":"signed_url","attributes":{"url":"..."}}` (panel-api.md §3.3). */
export function parseSignedUrl(body: unknown): string {
  const envelope = expectObject(body, 'the download link');
  if (envelope.object !== 'signed_url') throw new UnexpectedResponseError('the download link is not a signed_url object');
  const attributes = expectObject(envelope.attributes, "the download link's attributes");
  return field(attributes, 'url', isString, 'the download link', 'a string');
}

/** `{"data":{"token":"<JWT>","socket":"wss://..."}}` (wings.md §1.1). */
export function parseWebsocketCredentials(body: unknown): WebsocketCredentials {
  const envelope = expectObject(body, 'the websocket credentials');
  const data = expectObject(envelope.data, "the websocket credentials' data");
  return {
    token: field(data, 'token', isString, 'the websocket credentials', 'a string'),
    socket: field(data, 'socket', isString, 'the websocket credentials', 'a string'),
  };
}

/** `{"object":"stats","attributes":{"current_state":...}}` (panel-api.md §11). */
export function parseResources(body: unknown): ServerResources {
  const envelope = expectObject(body, 'the server resources');
  const attributes = expectObject(envelope.attributes, "the server resources' attributes");
  return {
    currentState: field(attributes, 'current_state', isString, 'the server resources', 'a string'),
    isSuspended: attributes.is_suspended === true,
  };
}

export function parseActivityEntry(value: unknown): ActivityEntry {
  const envelope = expectObject(value, 'an activity entry');
  const a = expectObject(envelope.attributes, "an activity entry's attributes");
  return {
    id: field(a, 'id', isString, 'an activity entry', 'a string'),
    event: field(a, 'event', isString, 'an activity entry', 'a string'),
    timestamp: field(a, 'timestamp', isString, 'an activity entry', 'a string'),
    properties: a.properties,
  };
}

/** The `{"errors":[{code,status,detail}]}` envelope (panel-api.md §5.1), or undefined. */
export function parseErrorEnvelope(body: unknown): Array<{ code: string; status: string; detail: string; field?: string }> | undefined {
  if (!isObject(body) || !Array.isArray(body.errors)) return undefined;
  const errors = body.errors.filter(isObject).map((entry) => {
    const meta = isObject(entry.meta) ? entry.meta : {};
    return {
      code: isString(entry.code) ? entry.code : '',
      status: isString(entry.status) ? entry.status : String(entry.status ?? ''),
      detail: isString(entry.detail) ? entry.detail : '',
      ...(isString(meta.source_field) ? { field: meta.source_field } : {}),
    };
  });
  return errors.length > 0 ? errors : undefined;
}

export function parseWebsocketError(body: unknown): string | undefined {
  return isObject(body) && isString(body.error) ? body.error : undefined;
}
