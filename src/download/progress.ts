import { formatBytes, formatElapsed } from '../format.js';
import type { Log } from '../operations/context.js';

export interface ProgressOptions {
  /** Expected size in bytes (the panel's `bytes`); 0 or less disables percentages. */
  total: number;
  log: Log;
  now: () => number;
  /** Longest time without a line (default 15 s). */
  intervalMs?: number;
  /** A line at every multiple of this percentage (default 10). */
  stepPercent?: number;
}

export interface Progress {
  /** Called with the running byte count after each chunk; cheap unless a line is due. */
  update(bytes: number): void;
  /** Also writes a line when no data arrives for `intervalMs` (a stalled transfer); returns stop. */
  watch(): () => void;
}

/** `12.3 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/**
 * Progress lines for a log that shows lines, not bars: one every `stepPercent` or every
 * `intervalMs`, whichever comes first, with the bytes so far, the percentage and the speed since
 * the previous line. The line for 100% is left to the caller's summary.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { total, log, now } = options;
  const intervalMs = options.intervalMs ?? 15_000;
  const step = options.stepPercent ?? 10;
  const stepBytes = total > 0 ? (total * step) / 100 : Number.POSITIVE_INFINITY;
  let lastAt = now();
  let lastBytes = 0;
  let nextMark = stepBytes;
  let current = 0;

  return {
    update(bytes: number): void {
      current = bytes;
      if (bytes < nextMark) {
        const at = now();
        if (at - lastAt < intervalMs) return;
        emit(bytes, at);
        return;
      }
      if (total > 0 && bytes >= total) return;
      emit(bytes, now());
    },
    watch(): () => void {
      const timer = setInterval(() => {
        const at = now();
        if (at - lastAt >= intervalMs) emit(current, at);
      }, Math.min(intervalMs, 1_000));
      timer.unref();
      return () => clearInterval(timer);
    },
  };

  function emit(bytes: number, at: number): void {
    const elapsed = Math.max(1, at - lastAt);
    const rate = ((bytes - lastBytes) * 1_000) / elapsed;
    let line = `Downloaded ${formatBytes(bytes)}`;
    if (total > 0) {
      const percent = Math.min(100, Math.floor((bytes * 100) / total));
      line += ` of ${formatBytes(total)} (${percent}%) at ${formatRate(rate)}`;
      if (rate > 0 && bytes < total) line += `, about ${formatElapsed(((total - bytes) * 1_000) / rate)} left`;
    } else {
      line += ` at ${formatRate(rate)}`;
    }
    log.info(`${line}.`);
    lastAt = at;
    lastBytes = bytes;
    while (nextMark <= bytes) nextMark += stepBytes;
  }
}
