import { NetworkError } from '../http/network-error.js';
import { PanelError } from './errors.js';

/**
 * A once-only request (create, lock toggle, restore, power signal) failed without telling
 * whether the panel acted on it: the request may have arrived and no answer came back (reset,
 * timeout), or the panel or a proxy answered 5xx. The caller reads the state before anything is
 * sent again. A cancellation is not unclear: the step is ending.
 */
export function isUnclearFailure(error: unknown): boolean {
  if (error instanceof NetworkError) return error.sent && error.kind !== 'aborted';
  return error instanceof PanelError && error.status >= 500;
}
