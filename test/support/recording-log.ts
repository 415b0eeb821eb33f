import type { Log } from '../../src/operations/context.js';

/** A `Log` that keeps its lines, each prefixed with its level, for assertions. */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}
