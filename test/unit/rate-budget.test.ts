import { describe, expect, it } from 'vitest';
import { RateBudget } from '../../src/http/rate-budget.js';

describe('RateBudget', () => {
  it('lets requests through at once while plenty remain', () => {
    const budget = new RateBudget(() => 0);
    budget.update({ 'x-ratelimit-limit': '256', 'x-ratelimit-remaining': '200' });
    expect([budget.reserve(), budget.reserve(), budget.reserve()]).toEqual([0, 0, 0]);
  });

  it('knows nothing and delays nothing before the first answer', () => {
    const budget = new RateBudget(() => 0);
    expect(budget.reserve()).toBe(0);
    expect(budget.reserve()).toBe(0);
  });

  it('spreads the last requests of the window over the rest of the minute', () => {
    let now = 0;
    const budget = new RateBudget(() => now);
    budget.update({ 'x-ratelimit-limit': '256', 'x-ratelimit-remaining': '10' });
    const waits = [budget.reserve(), budget.reserve(), budget.reserve()];
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBe(6_000); // 60 s over 10 left
    expect(waits[2]).toBeGreaterThan(waits[1]!);
    // Each reservation counts against what is left: the third waits 60 s / 9 more.
    expect(waits[2]).toBe(6_000 + Math.ceil(60_000 / 9));
    now = 120_000;
    budget.update({ 'x-ratelimit-limit': '256', 'x-ratelimit-remaining': '255' });
    expect(budget.reserve()).toBe(0);
  });

  it("after a 429, holds every request until the limiter's reset, then forgets the old window", () => {
    let now = 0;
    const budget = new RateBudget(() => now);
    budget.update({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0' });
    budget.reserve();
    budget.holdUntil(7_000);
    // A shorter hold of another request, refused earlier, does not cut it short.
    budget.holdUntil(5_000);
    expect([budget.reserve(), budget.reserve()]).toEqual([7_000, 7_000]);
    now = 7_000;
    expect(budget.reserve()).toBe(0);
    // Until the next answer tells the new count, nothing is spaced.
    expect(budget.reserve()).toBe(0);
  });

  it('makes the next request wait the whole window when the panel says none are left', () => {
    const budget = new RateBudget(() => 0);
    budget.update({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0' });
    expect(budget.reserve()).toBe(0);
    expect(budget.reserve()).toBe(60_000);
  });

  it('starts spacing at 10% of the limit left, and at no fewer than 5', () => {
    const spaced = (limit: string | undefined, remaining: string): boolean => {
      const budget = new RateBudget(() => 0);
      budget.update({ ...(limit ? { 'x-ratelimit-limit': limit } : {}), 'x-ratelimit-remaining': remaining });
      budget.reserve();
      return budget.reserve() > 0;
    };
    expect(spaced('250', '26')).toBe(false);
    expect(spaced('250', '25')).toBe(true);
    expect(spaced('20', '6')).toBe(false);
    expect(spaced('20', '5')).toBe(true);
    // An unknown (or nonsensical) limit counts as 60.
    expect(spaced(undefined, '7')).toBe(false);
    expect(spaced(undefined, '6')).toBe(true);
    expect(spaced('0', '6')).toBe(true);
  });

  it('shares one queue between concurrent callers', () => {
    const budget = new RateBudget(() => 1_000);
    budget.update({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '3' });
    const waits = [budget.reserve(), budget.reserve(), budget.reserve()];
    expect(new Set(waits).size).toBe(3);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });
});
