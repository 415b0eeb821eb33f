import { afterEach, expect, it, vi } from 'vitest';
import { getEventListeners } from 'node:events';
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

it('rejects at once when the signal is already aborted', async () => {
  vi.useFakeTimers();
  const controller = new AbortController();
  const reason = new Error('cancelled');
  controller.abort(reason);
  let caught: unknown;
  void sleep(60_000, controller.signal).catch((error: unknown) => (caught = error));
  await vi.advanceTimersByTimeAsync(0);
  expect(caught).toBe(reason);
});

it('leaves no timer and no abort listener behind', async () => {
  vi.useFakeTimers();
  const controller = new AbortController();
  // Cancelled: the timer goes, so it cannot keep the process alive after a cancellation.
  const cancelled = sleep(60_000, controller.signal).catch(() => undefined);
  controller.abort(new Error('cancelled'));
  await cancelled;
  expect(vi.getTimerCount()).toBe(0);
  // Finished: the listener goes, so a long wait's many sleeps do not pile up listeners on the signal.
  const other = new AbortController();
  const slept = sleep(1_000, other.signal);
  await vi.advanceTimersByTimeAsync(1_000);
  await slept;
  expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
});
