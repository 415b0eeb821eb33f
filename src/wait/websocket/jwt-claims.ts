/** The claims of a websocket token that the action reads; absent when missing or malformed. */
export interface SocketTokenClaims {
  /** The panel's own URL (Panel: NodeJWTService sets `iss` to the app URL). */
  iss?: string;
  /** Expiry, epoch seconds (10 minutes after issue). */
  exp?: number;
  /** The user's server permissions (`["*"]` for the owner). */
  permissions?: string[];
}

/**
 * Reads the payload of a JWT without verifying it (only the daemon holds the key). A token that
 * is not a JWT gives no claims; the token itself never appears in an error.
 */
export function decodeTokenClaims(token: string): SocketTokenClaims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const record = body as Record<string, unknown>;
  const claims: SocketTokenClaims = {};
  if (typeof record.iss === 'string' && record.iss !== '') claims.iss = record.iss;
  if (typeof record.exp === 'number' && Number.isFinite(record.exp)) claims.exp = record.exp;
  if (Array.isArray(record.permissions)) claims.permissions = record.permissions.filter((p): p is string => typeof p === 'string');
  return claims;
}

/**
 * Whether the token lets the daemon send backup events: `backup.read` or `*` (which covers every
 * permission not starting with `admin`) (Wings: router/websocket/websocket.go `SendJson`). A token
 * without a readable `permissions` claim is given the benefit of the doubt.
 */
export function mayReceiveBackupEvents(claims: SocketTokenClaims): boolean {
  if (!claims.permissions) return true;
  return claims.permissions.includes('*') || claims.permissions.includes('backup.read');
}
