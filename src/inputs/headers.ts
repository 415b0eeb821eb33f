import { ValueError } from './values.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
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
      throw new ValueError(`line ${index + 1} has an invalid header name '${name}'; expected one 'Name: value' per line`);
    }
    if (RESERVED.has(name.toLowerCase())) {
      throw new ValueError(`line ${index + 1} sets ${name}, which the action sets itself; remove it`);
    }
    if (/[\r\n\0]/.test(value)) throw new ValueError(`line ${index + 1} has a control character in its value`);
    headers[name] = value;
  });
  return headers;
}
