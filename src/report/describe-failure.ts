import { ActionError } from '../errors.js';
import { InputError } from '../inputs/parse-inputs.js';
import { NetworkError } from '../http/network-error.js';
import type { NetworkErrorKind } from '../http/network-error.js';
import { PanelError } from '../panel/errors.js';
import { UnexpectedResponseError } from '../panel/parse.js';

export interface FailureContext {
  /** The server as given in `server-id`. */
  serverId: string | undefined;
}

const APPLICATION_KEY_MESSAGE = 'application API key';

const PROXY_HINT = 'Check the proxy settings: HTTPS_PROXY/HTTP_PROXY (credentials go in the URL, http://user:password@host:port) and NO_PROXY for hosts to reach directly.';

/** What to do about a request that got no answer, where it is not reachability. */
const NETWORK_HINTS: Partial<Record<NetworkErrorKind, string>> = {
  tls: 'Check the panel certificate; a private CA can be trusted with NODE_EXTRA_CA_CERTS.',
  'invalid-request': 'Check headers and panel-url for characters HTTP cannot carry (an invisible one copied along, or one beyond Latin-1).',
  proxy: PROXY_HINT,
  'proxy-auth': PROXY_HINT,
};

/** The advice for a panel error: what it means for this user and what to do next. */
export function panelErrorHint(error: PanelError): string {
  const { status, code, detail } = error;
  const onBackup = /\/backups\/[^/]+/.test(error.request.path);
  if (status === 401) {
    return 'The panel rejected the API key. Check that the api-key secret holds a current client API key (Account → API Credentials); keys can expire.';
  }
  if (status === 403 && detail.includes(APPLICATION_KEY_MESSAGE)) {
    return 'api-key is an application key (ptla_/papp_). Create a client key under Account → API Credentials and use that.';
  }
  if (status === 403 && /IP address/.test(detail)) {
    return "The key's allowed IPs do not include this runner. Add the runner's address to the key or remove the restriction.";
  }
  if (status === 403) {
    return error.request.permission
      ? `The key's user lacks the ${error.request.permission} permission on this server. Grant it to the subuser, or use the server owner's key.`
      : "The key's user is not allowed to do this on this server.";
  }
  if (status === 404 && onBackup) return 'The backup does not exist on this server (deleted, or it belongs to another server). Check backup-id.';
  if (status === 404) return "The server does not exist or the key's user cannot see it. Check server-id (the short id in the server's panel URL) and the key.";
  if (status === 409) return 'The server is busy or unavailable (see above). Run again once it is back to normal.';
  if (status === 400 && code === 'TwoFactorAuthRequiredException') {
    return "The panel requires two-factor authentication for this account. Enable 2FA on the key's account.";
  }
  if (status === 400 && code === 'TooManyBackupsException') {
    // panel-api.md §5.3: running and successful backups count; a limit of 0 disables backups.
    return /limit of 0 backups/.test(detail)
      ? "Backups are disabled on this server. Ask the panel's administrator to raise its backup limit."
      : 'Set rotate: true to delete the oldest matching backup first, keep fewer with retention (keep, max-age), delete old backups by hand, or ask for a higher limit.';
  }
  if (status === 422 && /191 characters/.test(detail)) return 'Pterodactyl limits backup names to 191 characters. Shorten name.';
  if (status === 429) return "The panel's rate limit is shared by every tool using this account; run fewer requests at once or try later.";
  if (code === 'DaemonConnectionException') {
    return "The panel could not reach the server's node (Wings). Check that the node is online, then run again.";
  }
  if (status >= 500) return 'The panel, or a proxy in front of it, failed. Try again later; the panel log has the details.';
  return '';
}

/** One clear message for any failure: what failed, on which server, the panel's detail, what to do. */
export function describeFailure(error: unknown, context: FailureContext): string {
  const where = context.serverId ? `Server ${context.serverId}: ` : '';
  if (error instanceof InputError) return `${error.message}\nNo request was sent to the panel.`;
  if (error instanceof ActionError) return `${where}${error.message}`;
  if (error instanceof PanelError) {
    const hint = panelErrorHint(error);
    return `${where}the panel refused ${error.request.method} ${error.request.path} with ${error.status}${error.code ? ` ${error.code}` : ''}: ${error.detail}${hint ? `\n${hint}` : ''}`;
  }
  if (error instanceof NetworkError) {
    const hint = NETWORK_HINTS[error.kind] ?? 'Check panel-url and that this runner can reach the panel (firewall, proxy settings in HTTPS_PROXY/NO_PROXY).';
    return `${where}could not talk to the panel: ${error.message}\n${hint}`;
  }
  if (error instanceof UnexpectedResponseError) {
    return `${where}the panel's answer was not understood: ${error.message}. Is panel-url the panel's base address (without /api)?`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `${where}unexpected error: ${message}`;
}

/**
 * For a failure none of the action's own error types describes (a bug, or a system error it did
 * not foresee): the stack trace, for a bug report. Undefined for every expected failure.
 */
export function unexpectedTrace(error: unknown): string | undefined {
  const expected = [InputError, ActionError, PanelError, NetworkError, UnexpectedResponseError].some((type) => error instanceof type);
  if (expected || !(error instanceof Error) || !error.stack) return undefined;
  return `The action did not foresee this failure; please report it, with this trace, in its issue tracker.\n${error.stack}`;
}
