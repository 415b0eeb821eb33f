/** The panel's limiter counts requests per user over one minute (panel-api.md §5.4). */
const WINDOW_MS = 60_000;

/**
 * One budget for the panel's per-user rate limit, shared by every request of the run (fleet mode
 * works on several servers at once, and other tools of the same user share the limit too). It
 * reads `X-RateLimit-Limit` / `X-RateLimit-Remaining` from every answer and, once few requests
 * are left, spaces the next ones so that what remains lasts the rest of the window, instead of
 * running into 429s. The limit is never assumed: it differs between panel versions.
 */
export class RateBudget {
  private limit: number | undefined;
  private remaining: number | undefined;
  /** Epoch ms before which the next request may not start. */
  private nextFree = 0;
  /** The latest end of a hold after a 429. */
  private heldUntil = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** How long the next request must wait; reserves its slot. */
  reserve(): number {
    const now = this.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + this.spacing();
    if (this.remaining !== undefined) this.remaining = Math.max(0, this.remaining - 1);
    return start - now;
  }

  /** Learns the panel's count from an answer's headers. */
  update(headers: Record<string, string>): void {
    const limit = Number.parseInt(headers['x-ratelimit-limit'] ?? '', 10);
    const remaining = Number.parseInt(headers['x-ratelimit-remaining'] ?? '', 10);
    if (!Number.isNaN(limit) && limit > 0) this.limit = limit;
    if (!Number.isNaN(remaining) && remaining >= 0) this.remaining = remaining;
  }

  /**
   * After a 429 from the per-user limiter: what the budget knew of the old window no longer
   * holds (the next answer tells the new count), and no request of the run starts before
   * `until` (epoch ms), when the limiter lets them through again. Without this, every other
   * server of a fleet would run into its own 429 and wait it out in turn.
   */
  holdUntil(until: number): void {
    this.remaining = undefined;
    // The old window's spacing no longer applies, but a later hold of another request does.
    this.heldUntil = Math.max(this.heldUntil, until);
    this.nextFree = this.heldUntil;
  }

  /** Milliseconds between requests: none while plenty are left, then the window spread over what remains. */
  private spacing(): number {
    if (this.remaining === undefined) return 0;
    const low = Math.max(5, Math.ceil((this.limit ?? 60) * 0.1));
    if (this.remaining > low) return 0;
    return Math.ceil(WINDOW_MS / Math.max(1, this.remaining));
  }
}
