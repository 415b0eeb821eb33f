import { rmSync } from 'node:fs';

/**
 * The temporary `.part` files being written right now. A download removes its own when it ends;
 * this list is for the one exit that skips that: the forced exit after a cancellation that did
 * not unwind in time (src/cancellation.ts), so that even then no partial archive stays behind.
 */
const open = new Set<string>();

export function trackTemporary(path: string): void {
  open.add(path);
}

export function untrackTemporary(path: string): void {
  open.delete(path);
}

/** Removes every temporary file still open; synchronous, for the last moments of the process. */
export function removeTemporariesNow(): void {
  for (const path of open) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Nothing more can be done on the way out.
    }
  }
  open.clear();
}
