// Rate limiters: Laravel's fixed-window limiter (ThrottleRequests) and Wings' token buckets.

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (Retry-After). */
  retryAfterSec: number;
  /** Unix timestamp of the reset (X-RateLimit-Reset). */
  resetAtSec: number;
}

/**
 * Illuminate\Cache\RateLimiter: the first hit opens a window of `decayMs`; a request is refused,
 * without being counted, once `max` hits were made in the window.
 */
export class FixedWindowLimiter {
  private windows = new Map<string, { resetAt: number; count: number }>();

  attempt(key: string, max: number, decayMs: number, now: number = Date.now()): LimitResult {
    let w = this.windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { resetAt: now + decayMs, count: 0 };
      this.windows.set(key, w);
    }
    const retryAfterSec = Math.max(0, Math.ceil((w.resetAt - now) / 1000));
    const resetAtSec = Math.floor(now / 1000) + retryAfterSec;
    if (w.count >= max) {
      return { allowed: false, limit: max, remaining: 0, retryAfterSec, resetAtSec };
    }
    w.count += 1;
    return { allowed: true, limit: max, remaining: Math.max(0, max - w.count), retryAfterSec, resetAtSec };
  }

  reset(): void {
    this.windows.clear();
  }
}

/** golang.org/x/time/rate-like bucket (PL router/websocket/limiter.go): `burst` tokens, one back every `refillMs`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly refillMs: number;

  constructor(burst: number, refillMs: number, now: number = Date.now()) {
    this.burst = burst;
    this.refillMs = refillMs;
    this.tokens = burst;
    this.last = now;
  }

  take(now: number = Date.now()): boolean {
    if (this.refillMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.refillMs);
    } else {
      this.tokens = this.burst;
    }
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
