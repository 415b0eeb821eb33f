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
    expect([budget.reserve(), budget.reserve()]).toEqual([7_000, 7_000]);
    now = 7_000;
    expect(budget.reserve()).toBe(0);
  });

  it('shares one queue between concurrent callers', () => {
    const budget = new RateBudget(() => 1_000);
    budget.update({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '3' });
    const waits = [budget.reserve(), budget.reserve(), budget.reserve()];
    expect(new Set(waits).size).toBe(3);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });
});
