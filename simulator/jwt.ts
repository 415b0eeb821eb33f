// HS256 JWTs as the panel issues them (app/Services/Nodes/NodeJWTService.php) and as Wings checks them
// (W router/tokens/parser.go: signature and `exp` only). Error strings are gbrlsnchs/jwt's.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Claims = Record<string, unknown>;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(claims: Claims, secret: string, extraHeader: Record<string, unknown> = {}): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', ...extraHeader }));
  const payload = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${b64url(sig)}`;
}

export type JwtResult = { ok: true; claims: Claims } | { ok: false; error: string };

export const JWT_MALFORMED = 'jwt: malformed token';
export const JWT_BAD_SIGNATURE = 'jwt: HMAC verification failed';
export const JWT_EXPIRED = 'jwt: exp claim is invalid';

export function verifyJwt(token: string, secret: string, nowSec: number = Date.now() / 1000): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, error: JWT_MALFORMED };
  const [header, payload, sig] = parts as [string, string, string];
  let claims: Claims;
  try {
    const h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    if (h.alg !== 'HS256') return { ok: false, error: JWT_MALFORMED };
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: JWT_MALFORMED };
    claims = parsed as Claims;
  } catch {
    return { ok: false, error: JWT_MALFORMED };
  }
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, error: JWT_BAD_SIGNATURE };
  }
  if (!isExpValid(claims, nowSec)) return { ok: false, error: JWT_EXPIRED };
  return { ok: true, claims };
}

export function isExpValid(claims: Claims, nowSec: number = Date.now() / 1000): boolean {
  const exp = claims['exp'];
  return typeof exp === 'number' && exp > nowSec;
}
