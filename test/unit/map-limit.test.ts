import { expect, it } from 'vitest';
import { mapWithLimit } from '../../src/fleet/map-limit.js';

it('runs at most `limit` at once and keeps the order of the items', async () => {
  let running = 0;
  let peak = 0;
  const result = await mapWithLimit([30, 10, 20, 5, 15], 2, async (ms, index) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running--;
    return index;
  });
  expect(result).toEqual([0, 1, 2, 3, 4]);
  expect(peak).toBe(2);
});
