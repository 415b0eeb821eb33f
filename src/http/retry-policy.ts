import { isLastingFailure } from './network-error.js';
import type { NetworkErrorKind } from './network-error.js';

/**
 * How a request may be repeated.
 * - `read`: a GET; safe to repeat.
 * - `delete`: a DELETE; safe to repeat, and a 404 after an attempt that may have arrived means
 *   it succeeded (the client handles that).
 * - `once`: a POST that must not be re-sent blindly (create, lock toggle, restore, power). It is
 *   repeated only when the panel certainly did not act on it: the connection was never made, or
 *   the general rate limiter answered 429 (it runs before any controller; panel-api.md §1.2).
 */
export type RequestKind = 'read' | 'delete' | 'once';

export type AttemptOutcome =
  | { type: 'status'; status: number; errorCode: string | undefined; headers: Record<string, string> }
  | { type: 'network'; kind: NetworkErrorKind; sent: boolean };

export type RetryDecision = { retry: false; reason?: string } | { retry: true; delayMs: number; reason: string };

export interface RetryLimits {
  /** Attempts in all for server errors and network failures. */
  maxAttempts: number;
  /** First backoff delay; doubles per attempt. */
  baseDelayMs: number;
  /** Largest backoff delay. */
  maxDelayMs: number;
  /** How many 429 answers of the general rate limiter are waited out. */
  maxRateLimitRetries: number;
  /** Longest single wait for the general rate limiter. */
  maxRateLimitWaitMs: number;
}

export const DEFAULT_RETRY_LIMITS: RetryLimits = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 15_000,
  maxRateLimitRetries: 8,
  maxRateLimitWaitMs: 120_000,
};

export interface RetryState {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** How many rate-limit waits have already happened. */
  rateLimitRetries: number;
}

/** The panel's creation throttle (panel-api.md §5.4); handled by the create operation, not here. */
export const CREATION_THROTTLE_CODE = 'TooManyRequestsHttpException';

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoffDelay(attempt: number, limits: RetryLimits, random: () => number): number {
  const exponential = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * The wait a 429 (or 503) asks for: `Retry-After` (seconds or an HTTP date), else
 * `X-RateLimit-Reset` (a Unix timestamp). Undefined when neither is usable.
 */
export function requestedDelay(headers: Record<string, string>, now: number): number | undefined {
  const retryAfter = headers['retry-after']?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1_000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers['x-ratelimit-reset']?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1_000 - now);
  return undefined;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Whether and when to repeat a request after one failed attempt. Pure: no clock, no I/O. */
export function decideRetry(
  kind: RequestKind,
  outcome: AttemptOutcome,
  state: RetryState,
  limits: RetryLimits,
  now: number,
  random: () => number,
): RetryDecision {
  if (outcome.type === 'status') {
    const { status } = outcome;
    if (status === 429) {
      if (outcome.errorCode === CREATION_THROTTLE_CODE) return { retry: false, reason: 'creation throttle' };
      if (state.rateLimitRetries >= limits.maxRateLimitRetries) return { retry: false, reason: 'rate limited too often' };
      const asked = requestedDelay(outcome.headers, now);
      const waitMs = asked ?? backoffDelay(state.rateLimitRetries + 1, limits, random);
      // The limit applies to what the panel asked for; the jitter only spreads the retries.
      if (waitMs > limits.maxRateLimitWaitMs) return { retry: false, reason: 'rate limit wait too long' };
      return { retry: true, delayMs: waitMs + Math.round(random() * 250), reason: 'rate limited (429)' };
    }
    if (!TRANSIENT_STATUS.has(status)) return { retry: false };
    if (kind === 'once') return { retry: false, reason: 'not safe to repeat' };
    if (state.attempt >= limits.maxAttempts) return { retry: false, reason: 'attempts exhausted' };
    const asked = status === 503 ? requestedDelay(outcome.headers, now) : undefined;
    const delayMs = asked !== undefined && asked <= limits.maxDelayMs ? asked : backoffDelay(state.attempt, limits, random);
    return { retry: true, delayMs, reason: `server error ${status}` };
  }
  if (outcome.kind === 'aborted' || isLastingFailure(outcome.kind)) return { retry: false };
  if (outcome.sent && kind === 'once') return { retry: false, reason: 'not safe to repeat' };
  if (state.attempt >= limits.maxAttempts) return { retry: false, reason: 'attempts exhausted' };
  return { retry: true, delayMs: backoffDelay(state.attempt, limits, random), reason: `network error (${outcome.kind})` };
}
