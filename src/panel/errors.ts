import { secrets } from '../secrets.js';
import { parseErrorEnvelope, parseJson } from './parse.js';

/** What the client was doing, for messages: `POST /servers/1a2b3c4d/backups`. */
export interface RequestLabel {
  method: string;
  path: string;
  /** The panel permission the route needs (subusers), for hints. */
  permission: string | undefined;
}

/**
 * The panel answered with an error status. `code` and `detail` come from its error envelope
 * (`{"errors":[{code,status,detail}]}`, panel-api.md §5.1); a body that is not that envelope (a
 * proxy's HTML page) gives a short description instead, never the page itself.
 */
export class PanelError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly detail: string;
  /** Every detail of the envelope (a 422 has one per failed rule). */
  readonly details: string[];
  readonly request: RequestLabel;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string | undefined, details: string[], request: RequestLabel, headers: Record<string, string>) {
    const detail = details.join(' ');
    super(`${request.method} ${request.path} answered ${status}${code ? ` ${code}` : ''}: ${detail}`);
    this.name = 'PanelError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.details = details;
    this.request = request;
    this.headers = headers;
  }
}

/** Longest panel error detail shown; a validation message is far shorter. */
const MAX_DETAIL = 300;

/** Builds the error for a non-2xx answer. */
export function panelErrorFromResponse(
  res: { status: number; headers: Record<string, string>; text: string },
  request: RequestLabel,
): PanelError {
  const isJson = /json/i.test(res.headers['content-type'] ?? '');
  let envelope: ReturnType<typeof parseErrorEnvelope>;
  if (isJson || res.text.trimStart().startsWith('{')) {
    try {
      envelope = parseErrorEnvelope(parseJson(res.text, 'the error'));
    } catch {
      envelope = undefined;
    }
  }
  if (envelope) {
    const first = envelope[0]!;
    // The detail is the panel's text (it may echo what it was sent): scrubbed and kept short.
    const details = envelope.map((e) => secrets.oneLine(e.detail, MAX_DETAIL)).filter(Boolean);
    return new PanelError(res.status, first.code || undefined, details, request, res.headers);
  }
  return new PanelError(res.status, undefined, [describeNonJsonBody(res)], request, res.headers);
}

/** "an HTML page ("502 Bad Gateway") instead of JSON", kept short. */
export function describeNonJsonBody(res: { status: number; headers: Record<string, string>; text: string }): string {
  const text = res.text.trim();
  if (text === '') return 'an empty answer instead of the panel\'s JSON error (a proxy in between?)';
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
  const kind = /<html|<!doctype/i.test(text) ? 'an HTML page' : 'a non-JSON answer';
  // Scrubbed before it is cut: a secret cut in half would no longer be recognised.
  const label = title ? ` ("${secrets.oneLine(title, 80)}")` : '';
  const location = res.status >= 300 && res.status < 400 && res.headers.location ? ' (a redirect, e.g. to a login page)' : '';
  return `${kind}${label}${location} instead of the panel's JSON; a proxy, firewall or wrong panel-url in between?`;
}
