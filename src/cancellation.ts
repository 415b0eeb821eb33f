import { CancelledError } from './errors.js';

export interface Cancellation {
  /** Aborted (with a `CancelledError` as its reason) when the runner cancels the step. */
  signal: AbortSignal;
  dispose(): void;
}

/**
 * The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it. On the first
 * signal every in-flight request and wait is aborted, so the run unwinds through its normal
 * failure path (outputs and summary written). If that has not ended the process within
 * `graceMs`, or a second signal arrives, `hardExit` runs.
 */
export function installCancellation(onCancel: (error: CancelledError) => void, hardExit: (error: CancelledError) => void, graceMs = 1_500): Cancellation {
  const controller = new AbortController();
  const handle = (signal: NodeJS.Signals): void => {
    const error = new CancelledError(signal);
    if (controller.signal.aborted) {
      hardExit(error);
      return;
    }
    onCancel(error);
    controller.abort(error);
    setTimeout(() => hardExit(error), graceMs).unref();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handle);
      process.off('SIGTERM', handle);
    },
  };
}
