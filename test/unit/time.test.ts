import { afterEach, expect, it, vi } from 'vitest';
import { sleep } from '../../src/time.js';

afterEach(() => {
  vi.useRealTimers();
});

it('sleeps longer than a Node timer can wait (2^31-1 ms) instead of waking at once', async () => {
  vi.useFakeTimers();
  let done = false;
  void sleep(2 ** 31 + 5_000).then(() => (done = true));
  await vi.advanceTimersByTimeAsync(1_000);
  expect(done).toBe(false);
  await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
  expect(done).toBe(false);
  await vi.advanceTimersByTimeAsync(5_000);
  expect(done).toBe(true);
});

it('still ends early when cancelled during a long sleep', async () => {
  vi.useFakeTimers();
  const controller = new AbortController();
  const slept = sleep(2 ** 31 + 5_000, controller.signal);
  await vi.advanceTimersByTimeAsync(2 ** 31);
  controller.abort(new Error('cancelled'));
  await expect(slept).rejects.toThrow('cancelled');
});
