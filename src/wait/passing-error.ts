import { NetworkError } from '../http/network-error.js';
import { PanelError } from '../panel/errors.js';

/**
 * A read that failed for a passing reason while waiting: the network, a 5xx, a 409 while the
 * server is briefly busy, a rate limit outlasting the client's own waits. The wait goes on; a
 * refusal (401, 403, 404) or a cancellation ends it.
 */
export function isPassingReadFailure(error: unknown): boolean {
  if (error instanceof NetworkError) return error.kind !== 'aborted';
  if (error instanceof PanelError) return error.status >= 500 || error.status === 409 || error.status === 429;
  return false;
}
