// Clock formatting as the panel does it (Carbon in APP_TIMEZONE), and HTTP status texts.

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

function shifted(ms: number, offsetMinutes: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000);
}

/** Carbon toAtomString(): `2024-10-24T12:04:30+00:00` (seconds, numeric offset of APP_TIMEZONE). */
export function atom(ms: number, offsetMinutes: number): string {
  const d = shifted(ms, offsetMinutes);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
  );
}

/** Carbon toDateTimeString(): `2024-10-24 12:04:30` in APP_TIMEZONE. */
export function dateTimeString(ms: number, offsetMinutes: number): string {
  const d = shifted(ms, offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `20260101T000000Z` as used in S3 presigned URLs. */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}
