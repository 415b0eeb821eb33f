// Log of every request to the panel, Wings and the S3 endpoint.
import type { IncomingHttpHeaders } from 'node:http';
import type { RecordedRequest, RecordedRoute } from './types.ts';

export function lowerHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function queryRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

/** Parsed JSON when the content type says JSON and it parses, else the raw text, undefined when empty. */
export function recordableBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType && /[/+]json/i.test(contentType)) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

export class Recorder {
  readonly requests: RecordedRequest[] = [];

  add(entry: Omit<RecordedRequest, 'status'> & { route: RecordedRoute }): RecordedRequest {
    const rec: RecordedRequest = { ...entry, status: 0 };
    this.requests.push(rec);
    return rec;
  }

  clear(): void {
    this.requests.length = 0;
  }
}
