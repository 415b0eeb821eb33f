import { secrets } from '../../secrets.js';
import type { BackupCompletedEvent } from './types.js';

/** One socket message: `{"event": "<name>", "args": [...]}` (Wings: router/websocket/message.go). */
export interface Frame {
  event: string;
  /** Strings on the wire; left out when empty. */
  args: unknown[];
}

/** A frame, or undefined for anything that is not one (invalid JSON is dropped, as Wings does). */
export function parseFrame(text: string): Frame | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { event, args } = body as { event?: unknown; args?: unknown };
  if (typeof event !== 'string') return undefined;
  return { event, args: Array.isArray(args) ? args : [] };
}

export function serialiseFrame(event: string, args: string[] = []): string {
  return JSON.stringify(args.length > 0 ? { event, args } : { event });
}

/** The first argument as text ('' when absent), e.g. a `jwt error` message. */
export function firstArg(frame: Frame): string {
  const arg = frame.args[0];
  return typeof arg === 'string' ? arg : arg === undefined ? '' : JSON.stringify(arg);
}

/** A daemon's error text (`jwt error`, `daemon error`) fit for a message: masked and short. */
export function errorText(message: string): string {
  return secrets.oneLine(message, 200);
}

const BACKUP_COMPLETED = 'backup completed';

/**
 * `backup completed`, and `backup completed:<uuid>` from Wings ≤ 1.5.3 (Wings: events/events.go
 * strips the suffix since 1.5.4).
 */
export function isBackupCompleted(event: string): boolean {
  return event === BACKUP_COMPLETED || event.startsWith(`${BACKUP_COMPLETED}:`);
}

/**
 * The payload of a `backup completed` frame: `args[0]` is a JSON string holding `uuid`,
 * `is_successful`, `checksum`, `checksum_type`, `file_size` (Wings: server/backup.go). The uuid
 * comes from the payload; the legacy event name's suffix only fills in when the payload has none.
 */
export function parseBackupCompleted(frame: Frame, receivedAt: number): BackupCompletedEvent | undefined {
  let payload: unknown = frame.args[0];
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return undefined;
    }
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const record = payload as Record<string, unknown>;
  const suffix = frame.event.slice(BACKUP_COMPLETED.length + 1);
  const uuid = typeof record.uuid === 'string' && record.uuid !== '' ? record.uuid : suffix;
  if (uuid === '' || typeof record.is_successful !== 'boolean') return undefined;
  return {
    uuid,
    isSuccessful: record.is_successful,
    checksum: typeof record.checksum === 'string' ? record.checksum : '',
    checksumType: typeof record.checksum_type === 'string' ? record.checksum_type : '',
    fileSize: typeof record.file_size === 'number' && Number.isFinite(record.file_size) ? record.file_size : 0,
    receivedAt,
  };
}

/**
 * A `jwt error` that means the token ran out: the panel's own client renews on these two
 * (Panel: WebsocketHandler.tsx; Wings: router/tokens/websocket.go).
 */
export function isExpiryJwtError(message: string): boolean {
  return message.includes('exp claim is invalid') || message.includes('created too far in past (denylist)');
}
