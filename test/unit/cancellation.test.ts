import { afterEach, expect, it, vi } from 'vitest';
import { installCancellation } from '../../src/cancellation.js';
import type { Cancellation } from '../../src/cancellation.js';
import { CancelledError } from '../../src/errors.js';

let installed: Cancellation | undefined;
afterEach(() => {
  installed?.dispose();
  installed = undefined;
  vi.useRealTimers();
});

/** The handler installCancellation added for `signal` (called directly: no real signal is sent). */
const deliver = (signal: NodeJS.Signals): void => {
  const handler = process.listeners(signal).at(-1) as (signal: NodeJS.Signals) => void;
  handler(signal);
};

it('on the first signal says so and aborts with a CancelledError; hard exit after the grace period of 1.5 s', () => {
  vi.useFakeTimers();
  const cancelled: CancelledError[] = [];
  const hardExits: CancelledError[] = [];
  installed = installCancellation((error) => cancelled.push(error), (error) => hardExits.push(error));
  deliver('SIGINT');
  expect(cancelled).toHaveLength(1);
  expect(installed.signal.aborted).toBe(true);
  expect(installed.signal.reason).toBeInstanceOf(CancelledError);
  expect(installed.signal.reason).toBe(cancelled[0]);
  vi.advanceTimersByTime(1_499);
  expect(hardExits).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(hardExits).toHaveLength(1);
});

it('a second signal takes the hard exit at once', () => {
  vi.useFakeTimers();
  const hardExits: CancelledError[] = [];
  installed = installCancellation(() => undefined, (error) => hardExits.push(error));
  deliver('SIGINT');
  deliver('SIGTERM');
  expect(hardExits).toHaveLength(1);
  expect(hardExits[0]!.signal).toBe('SIGTERM');
});
