import type { BackupRef, ServerSelection } from './settings.js';
import { shown, ValueError } from './values.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The panel's short identifier is the first 8 characters of the server UUID
// (app/Http/Middleware/Api/Client/SubstituteClientBindings.php picks the column by length).
const SHORT_ID = /^[0-9a-f]{8}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function parseOneServerId(raw: string): string {
  if (SHORT_ID.test(raw) || UUID.test(raw)) return raw.toLowerCase();
  throw new ValueError(
    `${shown(raw)} is neither an 8-character short id (e.g. 1a2b3c4d) nor a server UUID; ` +
      'copy it from the server\'s URL in the panel (/server/<id>)',
  );
}

/**
 * One id, a list (one per line or comma-separated), or `all`. A list or `all` selects fleet mode.
 */
export function parseServerSelection(raw: string): ServerSelection {
  if (raw === 'all') return { mode: 'all' };
  if (!/[\n,]/.test(raw)) return { mode: 'single', id: parseOneServerId(raw) };
  const entries = raw
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ValueError('the list holds no server ids');
  // A server named twice (also once by its short id and once by its UUID, which starts with the
  // short id) is worked on once, under the first form given.
  const ids: string[] = [];
  for (const id of entries.map(parseOneServerId)) {
    if (!ids.some((seen) => sameServer(seen, id))) ids.push(id);
  }
  return { mode: 'list', ids };
}

/** Whether two parsed server ids name the same server: equal, or a short id and a UUID that starts with it. */
function sameServer(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, uuid] = a.length < b.length ? [a, b] : [b, a];
  return SHORT_ID.test(short) && UUID.test(uuid) && uuid.startsWith(`${short}-`);
}

/** A backup UUID, or `latest`. */
export function parseBackupRef(raw: string): BackupRef {
  if (raw === 'latest') return { kind: 'latest' };
  if (UUID.test(raw)) return { kind: 'uuid', uuid: raw.toLowerCase() };
  throw new ValueError(`${shown(raw)} is neither a backup UUID nor 'latest'`);
}
