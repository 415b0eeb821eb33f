// Request input as Laravel builds it: IsValidJson, TrimStrings, ConvertEmptyStringsToNull,
// query merged under the body (app/Http/Kernel.php, app/Http/Middleware/Api/IsValidJson.php).
import { isUtf8 } from 'node:buffer';
import { E } from './envelope.ts';

/** Request::isJson(): the content type contains /json or +json. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /[/+]json/i.test(contentType);
}

function phpJsonError(raw: Buffer, err: unknown): string {
  if (!isUtf8(raw)) return 'Malformed UTF-8 characters, possibly incorrectly encoded';
  const msg = err instanceof Error ? err.message : '';
  if (/control character/i.test(msg)) return 'Control character error, possibly incorrectly encoded';
  return 'Syntax error';
}

/** Parse the body. Malformed JSON (with a JSON content type and a non-empty body) is a 400. */
export function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (isJsonContentType(contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw E.malformedJson(phpJsonError(raw, err));
    }
    if (parsed !== null && typeof parsed === 'object') return { ...(parsed as Record<string, unknown>) };
    return {};
  }
  if (contentType && /application\/x-www-form-urlencoded/i.test(contentType)) {
    return parseParams(new URLSearchParams(raw.toString('utf8')));
  }
  return {};
}

/** PHP-style query parsing, one level of brackets: `filter[event]=x` → { filter: { event: 'x' } }. */
export function parseParams(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const m = /^([^[\]]+)\[([^[\]]*)\]$/.exec(key);
    if (!m) {
      out[key] = value;
      continue;
    }
    const base = m[1] as string;
    const sub = m[2] as string;
    const existing = out[base];
    if (sub === '') {
      out[base] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [value];
    } else {
      const obj = existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
      obj[sub] = value;
      out[base] = obj;
    }
  }
  return out;
}

const TRIM = /^[\s\uFEFF\u200B\u200E]+|[\s\uFEFF\u200B\u200E]+$/g;

/** TrimStrings + ConvertEmptyStringsToNull, recursively. */
export function cleanInput(value: unknown): unknown {
  if (typeof value === 'string') {
    const t = value.replace(TRIM, '');
    return t === '' ? null : t;
  }
  if (Array.isArray(value)) return value.map(cleanInput);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cleanInput(v);
    return out;
  }
  return value;
}

/**
 * Request::expectsJson(): an XHR that accepts anything, or a first acceptable type containing
 * /json or +json (application/json, application/vnd.pterodactyl.v1+json).
 */
export function expectsJson(headers: Record<string, string>): boolean {
  const accept = headers['accept'] ?? '';
  const types = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { type: type.toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((t) => t.type !== '')
    .sort((a, b) => b.q - a.q || a.i - b.i);
  const first = types[0];
  if (first && (first.type.includes('/json') || first.type.includes('+json'))) return true;
  const xhr = (headers['x-requested-with'] ?? '') === 'XMLHttpRequest';
  const acceptsAny = types.length === 0 || types.some((t) => t.type === '*/*' || t.type === '*');
  return xhr && acceptsAny;
}
