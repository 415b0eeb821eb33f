import { describe, expect, it } from 'vitest';
import { backoffDelay, decideRetry, DEFAULT_RETRY_LIMITS, requestedDelay } from '../../src/http/retry-policy.js';
import type { NetworkErrorKind } from '../../src/http/network-error.js';
import type { AttemptOutcome, RequestKind } from '../../src/http/retry-policy.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const half = (): number => 0.5;
const status = (code: number, errorCode?: string, headers: Record<string, string> = {}): AttemptOutcome => ({ type: 'status', status: code, errorCode, headers });
const network = (kind: NetworkErrorKind, sent: boolean): AttemptOutcome => ({ type: 'network', kind, sent });
const decide = (kind: RequestKind, outcome: AttemptOutcome, attempt = 1, rateLimitRetries = 0) =>
  decideRetry(kind, outcome, { attempt, rateLimitRetries }, DEFAULT_RETRY_LIMITS, NOW, half);

describe('decideRetry', () => {
  it.each([500, 502, 503, 504])('repeats reads and deletes after %i, never a once-only POST', (code) => {
    expect(decide('read', status(code)).retry).toBe(true);
    expect(decide('delete', status(code)).retry).toBe(true);
    expect(decide('once', status(code)).retry).toBe(false);
  });

  it.each([400, 401, 403, 404, 409, 422])('never repeats a %i', (code) => {
    for (const kind of ['read', 'delete', 'once'] as RequestKind[]) expect(decide(kind, status(code)).retry).toBe(false);
  });

  it('repeats any request the panel never received (refused, DNS)', () => {
    expect(decide('once', network('refused', false)).retry).toBe(true);
    expect(decide('once', network('dns', false)).retry).toBe(true);
  });

  it('does not repeat a once-only POST after a reset or timeout, but does repeat a read', () => {
    expect(decide('once', network('reset', true)).retry).toBe(false);
    expect(decide('once', network('response-timeout', true)).retry).toBe(false);
    expect(decide('read', network('reset', true)).retry).toBe(true);
    expect(decide('delete', network('response-timeout', true)).retry).toBe(true);
  });

  it('never repeats after a TLS failure or a cancellation', () => {
    expect(decide('read', network('tls', false)).retry).toBe(false);
    expect(decide('read', network('aborted', true)).retry).toBe(false);
  });

  it('repeats even a once-only POST after a proxy refused the tunnel, but not when it wants credentials', () => {
    expect(decide('once', network('proxy', false)).retry).toBe(true);
    expect(decide('read', network('proxy-auth', false)).retry).toBe(false);
    expect(decide('read', network('invalid-request', false)).retry).toBe(false);
  });

  it('stops after maxAttempts', () => {
    expect(decide('read', status(502), DEFAULT_RETRY_LIMITS.maxAttempts - 1).retry).toBe(true);
    expect(decide('read', status(502), DEFAULT_RETRY_LIMITS.maxAttempts).retry).toBe(false);
  });

  it('waits out the general rate limiter for every kind of request, honouring Retry-After', () => {
    const outcome = status(429, 'ThrottleRequestsException', { 'retry-after': '7' });
    for (const kind of ['read', 'delete', 'once'] as RequestKind[]) {
      const decision = decide(kind, outcome);
      expect(decision.retry).toBe(true);
      if (decision.retry) expect(decision.delayMs).toBeGreaterThanOrEqual(7_000);
      if (decision.retry) expect(decision.delayMs).toBeLessThanOrEqual(7_250);
    }
  });

  it('honours X-RateLimit-Reset when Retry-After is missing', () => {
    const decision = decide('read', status(429, 'ThrottleRequestsException', { 'x-ratelimit-reset': String(NOW / 1000 + 12) }));
    expect(decision).toMatchObject({ retry: true });
    if (decision.retry) expect(Math.floor(decision.delayMs / 1000)).toBe(12);
  });

  it('leaves the creation throttle to the create operation', () => {
    expect(decide('once', status(429, 'TooManyRequestsHttpException', { 'retry-after': '5' })).retry).toBe(false);
  });

  it('gives up on a rate-limit wait that is too long or too frequent', () => {
    expect(decide('read', status(429, undefined, { 'retry-after': '3600' })).retry).toBe(false);
    expect(decide('read', status(429, undefined, { 'retry-after': '1' }), 1, DEFAULT_RETRY_LIMITS.maxRateLimitRetries).retry).toBe(false);
  });

  it('waits out a general rate limit of up to 2 minutes (as the README says)', () => {
    expect(decide('read', status(429, 'ThrottleRequestsException', { 'retry-after': '110' }))).toMatchObject({ retry: true });
    // Exactly 2 minutes is within the limit; the jitter added on top does not push it out.
    expect(decide('read', status(429, 'ThrottleRequestsException', { 'retry-after': '120' }))).toEqual({ retry: true, delayMs: 120_125, reason: 'rate limited (429)' });
    expect(decide('read', status(429, 'ThrottleRequestsException', { 'retry-after': '121' })).retry).toBe(false);
  });

  it('backs off a 429 without a usable header by how often it was rate limited, not by the attempt', () => {
    // The third attempt after failures, but the first rate limit: the first step of the backoff (750 ms) plus jitter.
    expect(decide('read', status(429, 'ThrottleRequestsException'), 3, 0)).toEqual({ retry: true, delayMs: 875, reason: 'rate limited (429)' });
  });

  it('honours Retry-After on a 503 when it fits the backoff limit, and only on a 503', () => {
    expect(decide('read', status(503, undefined, { 'retry-after': '2' }))).toMatchObject({ retry: true, delayMs: 2_000 });
    // Too long for a server error: the usual backoff instead.
    expect(decide('read', status(503, undefined, { 'retry-after': '600' }))).toMatchObject({ retry: true, delayMs: 750 });
    expect(decide('read', status(502, undefined, { 'retry-after': '2' }))).toMatchObject({ retry: true, delayMs: 750 });
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with jitter in the upper half, capped', () => {
    const limits = DEFAULT_RETRY_LIMITS;
    expect(backoffDelay(1, limits, () => 0)).toBe(500);
    expect(backoffDelay(1, limits, () => 1)).toBe(1_000);
    expect(backoffDelay(3, limits, () => 0)).toBe(2_000);
    expect(backoffDelay(3, limits, () => 1)).toBe(4_000);
    expect(backoffDelay(20, limits, () => 1)).toBe(limits.maxDelayMs);
  });
});

describe('requestedDelay', () => {
  it('reads seconds or an HTTP date', () => {
    expect(requestedDelay({ 'retry-after': '30' }, NOW)).toBe(30_000);
    expect(requestedDelay({ 'retry-after': new Date(NOW + 90_000).toUTCString() }, NOW)).toBe(90_000);
    expect(requestedDelay({}, NOW)).toBeUndefined();
    expect(requestedDelay({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
  });

  it('never asks for a negative wait: a date or reset already past is 0', () => {
    expect(requestedDelay({ 'retry-after': new Date(NOW - 90_000).toUTCString() }, NOW)).toBe(0);
    expect(requestedDelay({ 'x-ratelimit-reset': String(NOW / 1000 - 30) }, NOW)).toBe(0);
  });

  it('ignores an X-RateLimit-Reset that is not a Unix timestamp', () => {
    expect(requestedDelay({ 'x-ratelimit-reset': 'soon' }, NOW)).toBeUndefined();
    expect(requestedDelay({ 'x-ratelimit-reset': '1.5e9' }, NOW)).toBeUndefined();
  });
});
