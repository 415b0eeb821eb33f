import type { SocketTokenClaims } from './jwt-claims.js';

export interface SocketOrigin {
  origin: string;
  /** Where it came from, for messages about a failed Origin check. */
  source: 'token-iss' | 'panel-url';
}

/**
 * The `Origin` headers to try for the daemon's socket, in order. Wings accepts the upgrade only
 * when `Origin` equals its `remote` setting, the panel URL with no trailing slash, exactly (Wings:
 * router/websocket/websocket.go `GetHandler`). The token's `iss` is that URL as the panel knows
 * itself, so it comes first; then the panel URL as given (path prefix kept, no trailing slash)
 * when it differs: the panel signs `iss` from its `app.url`, while the daemon compares with the
 * `remote` written into its configuration when the node was set up, and the two can drift apart.
 */
export function socketOrigins(claims: SocketTokenClaims, panelUrl: URL): SocketOrigin[] {
  const fromPanelUrl: SocketOrigin = { origin: `${panelUrl.origin}${panelUrl.pathname.replace(/\/+$/, '')}`, source: 'panel-url' };
  const fromIss = claims.iss !== undefined ? usableOrigin(claims.iss) : undefined;
  if (!fromIss) return [fromPanelUrl];
  return fromIss === fromPanelUrl.origin ? [{ origin: fromIss, source: 'token-iss' }] : [{ origin: fromIss, source: 'token-iss' }, fromPanelUrl];
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
