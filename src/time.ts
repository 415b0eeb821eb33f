const MAX_TIMER_MS = 2_147_483_647;

/** Resolves after `ms`, or rejects with the signal's reason when it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // Node fires a timer of more than 2^31-1 ms at once: wait that long, then the rest.
    const step = Math.min(Math.max(0, ms), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      if (ms > step) sleep(ms - step, signal).then(resolve, reject);
      else resolve();
    }, step);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
