// Queued faults, consumed by the next `times` matching requests (or daemon calls / events / downloads).
import type { Fault, FaultKind, RouteName } from './types.ts';

/** Kinds applied when a request arrives, before it is processed. */
export const REQUEST_FAULTS: readonly FaultKind[] = [
  'status',
  'html',
  'reset-before',
  'reset-after',
  'delay',
  'rate-limit',
];

/**
 * The panel's kinds: those above, plus `delay-response`, which lets the handler run at once and
 * holds its answer (e.g. a create whose backup finishes before the client hears of it).
 */
export const PANEL_REQUEST_FAULTS: readonly FaultKind[] = [...REQUEST_FAULTS, 'delay-response'];

interface Entry {
  fault: Fault;
  left: number;
  skip: number;
}

export class FaultQueue {
  private entries: Entry[] = [];

  add(fault: Fault): void {
    this.entries.push({ fault, left: fault.times ?? 1, skip: fault.skip ?? 0 });
  }

  clear(): void {
    this.entries = [];
  }

  /** Take the first queued fault for `route` whose kind is one of `kinds`. */
  take(route: RouteName, kinds: readonly FaultKind[]): Fault | undefined {
    const index = this.entries.findIndex((e) => {
      const routes = Array.isArray(e.fault.route) ? e.fault.route : [e.fault.route];
      return routes.includes(route) && kinds.includes(e.fault.kind);
    });
    const entry = this.entries[index];
    if (!entry) return undefined;
    if (entry.skip > 0) {
      entry.skip -= 1;
      return undefined;
    }
    entry.left -= 1;
    if (entry.left <= 0) this.entries.splice(index, 1);
    return entry.fault;
  }
}
