// Panel → Wings calls and their failures
// (app/Repositories/Wings/*, app/Exceptions/Http/Connection/DaemonConnectionException.php, panel-api.md §5.3).
import { HttpError } from './envelope.ts';
import { uuidV4 } from './ids.ts';
import type { SimCore } from './state.ts';
import type { RouteName } from './types.ts';

/** An error answer from Wings to a panel call. */
export class WingsCallError extends Error {
  readonly status: number;
  readonly error: string;

  constructor(status: number, error: string) {
    super(error);
    this.status = status;
    this.error = error;
  }
}

// W router/middleware/request_error.go: generic message of the error capture.
const WINGS_GENERIC = 'An unexpected error was encountered while processing this request';

/**
 * DaemonConnectionException: 504 when Wings did not answer; otherwise Wings' status (502 if it was
 * below 400). For Wings 4xx answers Wings' own error text is shown.
 */
export function daemonException(status: number | undefined, wingsError?: string): HttpError {
  const requestId = uuidV4();
  if (status === undefined || status === 504) {
    return new HttpError(
      504,
      'DaemonConnectionException',
      'Could not establish a connection to the machine running this server. Please try again.',
      { kind: 'display' },
    );
  }
  const httpStatus = status < 400 ? 502 : status;
  let message =
    'There was an error while communicating with the machine running this server. This error has been logged, ' +
    `please try again. (code: ${status}) (request_id: ${requestId})`;
  if (httpStatus < 500) {
    message = `An error occurred on the remote host: ${wingsError ?? WINGS_GENERIC}. (request id: ${requestId})`;
  }
  return new HttpError(httpStatus, 'DaemonConnectionException', message, { kind: 'display' });
}

/**
 * Run the Wings side of a panel call. A queued 'daemon-error' fault for the route makes the call fail
 * before Wings does anything; a WingsCallError thrown by `fn` is Wings answering with an error.
 * Either way the caller's transaction is rolled back by not committing anything.
 */
export function callDaemon<T>(core: SimCore, route: RouteName, fn: () => T): T {
  const fault = core.faults.take(route, ['daemon-error']);
  if (fault && fault.kind === 'daemon-error') {
    throw Object.assign(daemonException(fault.status), { wingsStatus: fault.status });
  }
  try {
    return fn();
  } catch (err) {
    if (err instanceof WingsCallError) {
      throw Object.assign(daemonException(err.status, err.error), { wingsStatus: err.status });
    }
    throw err;
  }
}

/** The Wings status behind a DaemonConnectionException raised by callDaemon (undefined: no answer). */
export function wingsStatusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'wingsStatus' in err) {
    const s = (err as { wingsStatus: unknown }).wingsStatus;
    return typeof s === 'number' ? s : undefined;
  }
  return undefined;
}
