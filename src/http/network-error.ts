/**
 * A request that got no HTTP answer. `sent` tells whether the panel may have received it: a
 * refused connection, a failed DNS lookup or a connect timeout never reached it, so even a
 * request that must not be repeated blindly can be sent again.
 */
export type NetworkErrorKind =
  | 'refused'
  | 'dns'
  | 'connect-timeout'
  | 'response-timeout'
  | 'reset'
  | 'tls'
  | 'proxy'
  | 'proxy-auth'
  | 'invalid-request'
  | 'aborted'
  | 'other';

export class NetworkError extends Error {
  readonly kind: NetworkErrorKind;
  readonly sent: boolean;
  constructor(kind: NetworkErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
    this.kind = kind;
    this.sent = !['refused', 'dns', 'connect-timeout', 'tls', 'proxy', 'proxy-auth', 'invalid-request'].includes(kind);
  }
}

/**
 * Failures that another attempt cannot mend: a certificate, missing proxy credentials, a request
 * HTTP cannot carry. (A cancellation is not retried either, but for another reason.)
 */
export function isLastingFailure(kind: NetworkErrorKind): boolean {
  return kind === 'tls' || kind === 'proxy-auth' || kind === 'invalid-request';
}

const DESCRIPTIONS: Record<NetworkErrorKind, string> = {
  refused: 'the connection was refused',
  dns: 'the host name could not be resolved',
  'connect-timeout': 'the connection timed out',
  'response-timeout': 'no answer arrived in time',
  reset: 'the connection was closed before the answer was complete',
  tls: 'the TLS handshake failed',
  proxy: 'the proxy would not open a tunnel to it',
  'proxy-auth': 'the proxy asked for credentials (407 Proxy Authentication Required)',
  'invalid-request': 'the request could not be sent as given (a header or the URL holds something HTTP cannot carry)',
  aborted: 'the request was cancelled',
  other: 'the request failed',
};

/** Maps an undici or Node error to a `NetworkError` with a short, secret-free message. */
export function toNetworkError(error: unknown, target: string): NetworkError {
  if (error instanceof NetworkError) return error;
  const err = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code ?? '';
  let kind: NetworkErrorKind = 'other';
  // undici's ProxyAgent reports a refused CONNECT as an aborted request, with the status only in
  // its message (undici lib/dispatcher/proxy-agent.js); the request never reached the target.
  const proxyStatus = /^Proxy response \((\d{3})\)/.exec(err?.message ?? '')?.[1];
  if (proxyStatus) {
    kind = proxyStatus === '407' ? 'proxy-auth' : 'proxy';
    const status = kind === 'proxy' ? ` (HTTP ${proxyStatus})` : '';
    return new NetworkError(kind, `${target}: ${DESCRIPTIONS[kind]}${status}.`, { cause: error });
  }
  if (err?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') kind = 'aborted';
  else if (code === 'ECONNREFUSED') kind = 'refused';
  else if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') kind = 'invalid-request';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') kind = 'dns';
  else if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') kind = 'connect-timeout';
  else if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') kind = 'response-timeout';
  else if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') kind = 'reset';
  else if (/CERT|SSL|TLS|ERR_TLS/.test(code)) kind = 'tls';
  const detail = code ? ` (${code})` : '';
  const hint = kind === 'tls' ? ` ${err?.message ?? ''}`.trimEnd() : '';
  return new NetworkError(kind, `${target}: ${DESCRIPTIONS[kind]}${detail}.${hint}`, { cause: error });
}
