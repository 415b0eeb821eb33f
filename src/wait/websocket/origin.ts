import type { SocketTokenClaims } from './jwt-claims.js';

export interface SocketOrigin {
  origin: string;
  /** Where it came from, for messages about a failed Origin check. */
  source: 'token-iss' | 'panel-url';
}

/**
 * The `Origin` header for the daemon's socket. Wings accepts the upgrade only when `Origin`
 * equals its `remote` setting, the panel URL with no trailing slash, exactly (Wings:
 * router/websocket/websocket.go `GetHandler`). The token's `iss` is that URL as the panel knows
 * itself, so it wins; else the panel URL as given, path prefix kept, no trailing slash.
 */
export function socketOrigin(claims: SocketTokenClaims, panelUrl: URL): SocketOrigin {
  const fromIss = claims.iss !== undefined ? usableOrigin(claims.iss) : undefined;
  if (fromIss) return { origin: fromIss, source: 'token-iss' };
  return { origin: `${panelUrl.origin}${panelUrl.pathname.replace(/\/+$/, '')}`, source: 'panel-url' };
}

/** An `iss` that is an http(s) URL of visible ASCII (a valid header value), minus trailing slashes. */
function usableOrigin(iss: string): string | undefined {
  const value = iss.trim().replace(/\/+$/, '');
  if (!/^[\x21-\x7e]+$/.test(value)) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}
