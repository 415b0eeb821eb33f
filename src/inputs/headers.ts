import { ValueError } from './values.js';

const TOKEN_CHARS = "!#$%&'*+.^_`|~0-9A-Za-z-";
const TOKEN = new RegExp(`^[${TOKEN_CHARS}]+$`);
const TOKEN_START = new RegExp(`^[${TOKEN_CHARS}]*`);
/** What an HTTP header value may carry (tab, visible ASCII, Latin-1): undici refuses the rest. */
const VALUE_CHARS = /^[\t\x20-\x7e\x80-\xff]*$/;
// Headers the action sets itself or that would break the request framing.
const RESERVED = new Set(['authorization', 'accept', 'content-type', 'content-length', 'host', 'transfer-encoding', 'connection', 'cookie']);

/** `Name: value` per line (e.g. Cloudflare Access service tokens). */
export function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  lines.forEach((line, index) => {
    const colon = line.indexOf(':');
    if (colon < 0) {
      throw new ValueError(`line ${index + 1} has no colon; expected one 'Name: value' per line`);
    }
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name)) {
      // Only the valid start of the name is repeated: the rest may be a secret on the wrong side of the colon.
      const start = TOKEN_START.exec(name)?.[0] ?? '';
      const where = start ? ` after '${start}'` : '';
      throw new ValueError(`line ${index + 1} has a character${where} that a header name cannot hold; expected one 'Name: value' per line`);
    }
    if (RESERVED.has(name.toLowerCase())) {
      throw new ValueError(`line ${index + 1} sets ${name}, which the action sets itself; remove it`);
    }
    if (!VALUE_CHARS.test(value)) {
      throw new ValueError(`line ${index + 1} has a character in its value that a header cannot carry (a control character, or one beyond Latin-1 such as a zero-width space); copy the value again`);
    }
    headers[name] = value;
  });
  return headers;
}
