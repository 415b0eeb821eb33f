import { describe, expect, it } from 'vitest';
import { decodeTokenClaims, mayReceiveBackupEvents } from '../../src/wait/websocket/jwt-claims.js';
import { firstArg, isBackupCompleted, isExpiryJwtError, parseBackupCompleted, parseFrame, serialiseFrame } from '../../src/wait/websocket/frames.js';
import { socketOrigins } from '../../src/wait/websocket/origin.js';

const UUID = '3f1c2a9e-5b7d-4c1e-9a2b-0123456789ab';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;

describe('decodeTokenClaims', () => {
  it('reads iss, exp and permissions without verifying', () => {
    expect(decodeTokenClaims(jwt({ iss: 'https://panel.example.com', exp: 1_700_000_600, permissions: ['*', 7] }))).toEqual({
      iss: 'https://panel.example.com',
      exp: 1_700_000_600,
      permissions: ['*'],
    });
  });

  it('gives nothing for tokens that are not JWTs', () => {
    expect(decodeTokenClaims('not-a-jwt')).toEqual({});
    expect(decodeTokenClaims('a.!!!.c')).toEqual({});
    expect(decodeTokenClaims(`a.${Buffer.from('[1]').toString('base64url')}.c`)).toEqual({});
    expect(decodeTokenClaims(jwt({ iss: 5, exp: 'soon' }))).toEqual({});
  });

  it('knows which permissions receive backup events', () => {
    expect(mayReceiveBackupEvents({ permissions: ['*'] })).toBe(true);
    expect(mayReceiveBackupEvents({ permissions: ['websocket.connect', 'backup.read'] })).toBe(true);
    expect(mayReceiveBackupEvents({ permissions: ['websocket.connect', 'control.console'] })).toBe(false);
    expect(mayReceiveBackupEvents({})).toBe(true);
  });
});

describe('socketOrigins', () => {
  it("tries the token's iss first, then the panel URL when it differs", () => {
    expect(socketOrigins({ iss: 'https://panel.example.com' }, new URL('https://other.example.com/'))).toEqual([
      { origin: 'https://panel.example.com', source: 'token-iss' },
      { origin: 'https://other.example.com', source: 'panel-url' },
    ]);
    expect(socketOrigins({ iss: 'https://panel.example.com/' }, new URL('https://panel.example.com'))).toEqual([
      { origin: 'https://panel.example.com', source: 'token-iss' },
    ]);
  });

  it("takes the token's iss, without a trailing slash", () => {
    expect(socketOrigins({ iss: 'https://panel.example.com' }, new URL('https://other.example.com'))[0]).toEqual({
      origin: 'https://panel.example.com',
      source: 'token-iss',
    });
    expect(socketOrigins({ iss: 'https://panel.example.com/panel/' }, new URL('https://x.example'))[0]!.origin).toBe('https://panel.example.com/panel');
  });

  it('falls back to the panel URL as given, prefix kept, no trailing slash', () => {
    expect(socketOrigins({}, new URL('https://panel.example.com/'))[0]).toEqual({ origin: 'https://panel.example.com', source: 'panel-url' });
    expect(socketOrigins({}, new URL('https://panel.example.com:8443/panel/'))[0]!.origin).toBe('https://panel.example.com:8443/panel');
    expect(socketOrigins({ iss: 'not a url' }, new URL('http://10.0.0.5'))[0]!.origin).toBe('http://10.0.0.5');
    expect(socketOrigins({ iss: 'https://panel.example.com\r\nX-Evil: 1' }, new URL('https://p.example'))[0]!.source).toBe('panel-url');
  });

  it("falls back to the panel URL for an iss that is no http(s) URL or no valid header value", () => {
    const panelOnly = [{ origin: 'https://p.example', source: 'panel-url' }];
    expect(socketOrigins({ iss: 'ftp://panel.example.com' }, new URL('https://p.example'))).toEqual(panelOnly);
    expect(socketOrigins({ iss: 'javascript:alert(1)' }, new URL('https://p.example'))).toEqual(panelOnly);
    // The URL parser would drop the line break and punycode the host; the header would carry them as they are.
    expect(socketOrigins({ iss: 'https://panel.example.com/pa\nnel' }, new URL('https://p.example'))).toEqual(panelOnly);
    expect(socketOrigins({ iss: 'https://pänel.example.com' }, new URL('https://p.example'))).toEqual(panelOnly);
  });
});

describe('frames', () => {
  it('parses {event,args} and drops anything else', () => {
    expect(parseFrame('{"event":"status","args":["running"]}')).toEqual({ event: 'status', args: ['running'] });
    expect(parseFrame('{"event":"auth success"}')).toEqual({ event: 'auth success', args: [] });
    expect(parseFrame('not json')).toBeUndefined();
    expect(parseFrame('[1,2]')).toBeUndefined();
    expect(parseFrame('{"args":[]}')).toBeUndefined();
    expect(firstArg({ event: 'jwt error', args: ['jwt: exp claim is invalid'] })).toBe('jwt: exp claim is invalid');
    expect(firstArg({ event: 'x', args: [] })).toBe('');
    expect(firstArg({ event: 'daemon error', args: [{ error: 'bad' }] })).toBe('{"error":"bad"}');
  });

  it('serialises auth with its token', () => {
    expect(JSON.parse(serialiseFrame('auth', ['tok']))).toEqual({ event: 'auth', args: ['tok'] });
    expect(JSON.parse(serialiseFrame('send stats'))).toEqual({ event: 'send stats' });
  });

  it('recognises backup completed and its legacy name', () => {
    expect(isBackupCompleted('backup completed')).toBe(true);
    expect(isBackupCompleted(`backup completed:${UUID}`)).toBe(true);
    expect(isBackupCompleted('backup restore completed')).toBe(false);
    expect(isBackupCompleted('backup completedx')).toBe(false);
  });

  it('parses the double-encoded payload', () => {
    const payload = JSON.stringify({ checksum_type: 'sha1', file_size: 1234, uuid: UUID, checksum: 'ab'.repeat(20), is_successful: true });
    expect(parseBackupCompleted({ event: 'backup completed', args: [payload] }, 42)).toEqual({
      uuid: UUID,
      isSuccessful: true,
      checksum: 'ab'.repeat(20),
      checksumType: 'sha1',
      fileSize: 1234,
      receivedAt: 42,
    });
    const failed = JSON.stringify({ uuid: UUID, is_successful: false, checksum: '', checksum_type: 'sha1', file_size: 0 });
    expect(parseBackupCompleted({ event: 'backup completed', args: [failed] }, 1)?.isSuccessful).toBe(false);
  });

  it("takes the payload's uuid, the legacy suffix only when the payload has none", () => {
    const other = '99999999-5b7d-4c1e-9a2b-0123456789ab';
    expect(parseBackupCompleted({ event: `backup completed:${other}`, args: [JSON.stringify({ uuid: UUID, is_successful: true })] }, 0)?.uuid).toBe(UUID);
    expect(parseBackupCompleted({ event: `backup completed:${other}`, args: [JSON.stringify({ is_successful: true })] }, 0)?.uuid).toBe(other);
  });

  it('rejects payloads of the wrong shape', () => {
    expect(parseBackupCompleted({ event: 'backup completed', args: ['{oops'] }, 0)).toBeUndefined();
    expect(parseBackupCompleted({ event: 'backup completed', args: [] }, 0)).toBeUndefined();
    expect(parseBackupCompleted({ event: 'backup completed', args: [JSON.stringify({ uuid: UUID })] }, 0)).toBeUndefined();
    expect(parseBackupCompleted({ event: 'backup completed', args: [JSON.stringify({ is_successful: true })] }, 0)).toBeUndefined();
  });

  it('knows the jwt errors that mean expiry', () => {
    expect(isExpiryJwtError('jwt: exp claim is invalid')).toBe(true);
    expect(isExpiryJwtError('Error Event [x]: jwt: created too far in past (denylist)')).toBe(true);
    expect(isExpiryJwtError('jwt: missing connect permission')).toBe(false);
  });
});
