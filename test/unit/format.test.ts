import { expect, it } from 'vitest';
import { formatBytes, formatElapsed } from '../../src/format.js';

it('formats sizes in binary units, with one decimal above bytes', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1024)).toBe('1.0 KiB');
  expect(formatBytes(1536)).toBe('1.5 KiB');
  expect(formatBytes(12 * 1024 ** 2)).toBe('12.0 MiB');
  expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  // TiB is the largest unit: larger sizes stay in it.
  expect(formatBytes(2048 * 1024 ** 4)).toBe('2048.0 TiB');
});

it('formats durations as ms under a second, then s, m and h with padded minutes and seconds', () => {
  expect(formatElapsed(350)).toBe('350 ms');
  expect(formatElapsed(999)).toBe('999 ms');
  expect(formatElapsed(1_000)).toBe('1s');
  expect(formatElapsed(42_000)).toBe('42s');
  expect(formatElapsed(125_000)).toBe('2m 05s');
  expect(formatElapsed(3_725_000)).toBe('1h 02m 05s');
  expect(formatElapsed(3_600_000)).toBe('1h 00m 00s');
});
