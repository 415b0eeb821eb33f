/** A failure whose message is complete for the user: what failed, where, and what to do. */
export class ActionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionError';
  }
}

/** The runner cancelled the step (SIGINT, then SIGTERM). */
export class CancelledError extends Error {
  readonly signal: string;
  constructor(signal: string) {
    super(`cancelled by ${signal}`);
    this.name = 'CancelledError';
    this.signal = signal;
  }
}
