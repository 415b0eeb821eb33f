import type { Readable } from 'node:stream';
import { secrets } from '../secrets.js';

/** What a non-200 answer to a signed download URL means for the next attempt. */
export interface Refusal {
  /** `https://node.example.com:8080 answered 404: "The requested resource was not found on this server."` */
  reason: string;
  /** What the user can do about it, when the answer tells. */
  hint: string | undefined;
  /** A fresh URL cannot help (the archive is missing on the node). */
  permanent: boolean;
}

/** Wings' texts (Wings: router/router_download.go, router/middleware/request_error.go). */
const WINGS_MISSING_BACKUP = 'The requested backup was not found on this server.';
const WINGS_NOT_FOUND = 'The requested resource was not found on this server.';

const MAX_ERROR_BODY = 8 * 1024;
const MAX_DETAIL = 200;

/** `https://node.example.com:8080`: the only part of a signed URL that may be shown. */
export function originOf(url: URL): string {
  return url.origin;
}

/**
 * Makes a text from the daemon or the network layer safe to print: one line, bounded, without
 * the URL, its query values (the token) or anything shaped like a JWT, and without any
 * registered secret.
 */
export function scrub(text: string, url: URL): string {
  let result = text;
  // Long query values only: short ones are words like S3's `host`, which the text may hold too.
  const values = [url.href, url.search, ...url.searchParams.values()].filter((value) => value.length >= 16);
  for (const value of values.sort((a, b) => b.length - a.length)) result = result.split(value).join('***');
  return secrets.oneLine(result, MAX_DETAIL);
}

/**
 * Reads at most a few KiB of an error answer (never the whole body: a misbehaving server could
 * send the archive with an error status) and explains it. Wings answers JSON
 * `{"error": "..."}` (Wings: router/middleware/request_error.go); S3 answers XML with `<Code>`.
 */
export async function readRefusal(status: number, body: Readable, url: URL, headers: Record<string, string | string[] | undefined> = {}): Promise<Refusal> {
  const text = await readSome(body, MAX_ERROR_BODY);
  const detail = errorText(text);
  const origin = originOf(url);
  const reason = `${origin} answered ${status}${detail ? `: "${scrub(detail, url)}"` : ''}`;
  if (status >= 300 && status < 400) {
    // Neither Wings nor S3 redirects a signed URL: following one would hand the token to another host.
    const location = redirectOrigin(headers.location, url);
    return {
      reason: `${reason}, a redirect${location ? ` to ${location}` : ''}`,
      hint: 'Signed download URLs are not followed through redirects (the token would travel elsewhere). Check the proxy in front of the node.',
      permanent: true,
    };
  }
  if (status > 200 && status < 300) {
    return { reason, hint: 'The daemon sends the archive with 200; something else answered. Check the proxy in front of the node.', permanent: true };
  }
  if (status === 404 && detail === WINGS_MISSING_BACKUP) {
    return {
      reason,
      hint: 'The archive is missing on the node (deleted, or the backup was made with another storage driver). Create a new backup.',
      permanent: true,
    };
  }
  if (status === 404 && detail === WINGS_NOT_FOUND) {
    // The token is consumed once the server lookup succeeds (Wings: router/tokens/backup.go).
    return {
      reason,
      hint: 'The daemon accepts each signed URL once: it was used before this request (a proxy repeating requests?), or the daemon does not know the server.',
      permanent: false,
    };
  }
  if (status === 500 && /unexpected error/i.test(detail ?? '')) {
    // A bad or expired JWT ends in the generic 500 (Wings: router/middleware/middleware.go).
    return {
      reason,
      hint: 'Wings answers 500 to an invalid or expired token: check that the clocks of the panel and the node agree.',
      permanent: false,
    };
  }
  if (status === 403 && /expired/i.test(text)) {
    return { reason, hint: 'A presigned S3 URL is valid for 5 minutes: check the runner\'s and the panel\'s clocks.', permanent: false };
  }
  return { reason, hint: undefined, permanent: false };
}

/** The scheme and host a redirect points to (never its path or query, which may carry the token). */
function redirectOrigin(location: string | string[] | undefined, base: URL): string | undefined {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) return undefined;
  try {
    return originOf(new URL(value, base));
  } catch {
    return undefined;
  }
}

/** Wings' JSON `error`, or S3's XML `<Code>` (its other elements may echo the signed request). */
function errorText(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error;
    }
  } catch {
    // Not JSON.
  }
  const code = /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(text)?.[1];
  return code;
}

/** Drops an answer's body; undici reports the abort of an unfinished one as an error, kept from going uncaught. */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readSome(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      length += buffer.length;
      if (length >= limit) break;
    }
  } catch {
    // A broken error body still leaves the status to report.
  } finally {
    discardBody(body);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
