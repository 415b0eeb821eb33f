// Panel error envelope and rendering (app/Exceptions/Handler.php convertExceptionToArray / invalidJson,
// app/Exceptions/DisplayException.php render). Message strings are those of panel-api.md §5.
import { statusText } from './format.ts';

/** How Laravel renders the error for a request that does not expect JSON (panel-api.md §5.1). */
export type ErrorKind = 'http' | 'display' | 'validation' | 'auth' | 'generic';

export interface ErrorEntry {
  code: string;
  status: string;
  detail: string;
  meta?: { source_field: string; rule: string };
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly kind: ErrorKind;
  readonly headers: Record<string, string>;
  readonly entries: ErrorEntry[] | null;

  constructor(
    status: number,
    code: string,
    detail: string,
    opts: { kind?: ErrorKind; headers?: Record<string, string>; entries?: ErrorEntry[] } = {},
  ) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.kind = opts.kind ?? 'http';
    this.headers = opts.headers ?? {};
    this.entries = opts.entries ?? null;
  }
}

export const E = {
  // Handler::unauthenticated (Sanctum)
  unauthenticated: (): HttpError => new HttpError(401, 'AuthenticationException', 'Unauthenticated.', { kind: 'auth' }),
  // Handler: a ModelNotFoundException's detail is replaced (SubstituteClientBindings, scoped bindings)
  modelNotFound: (): HttpError =>
    new HttpError(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.'),
  // AuthenticateServerAccess, resources/lang/en/exceptions.php
  noServerAccess: (): HttpError =>
    new HttpError(404, 'NotFoundHttpException', 'The requested resource does not exist on this server.'),
  // app/Http/Middleware/Api/Client/RequireClientApiKey.php
  applicationKey: (): HttpError =>
    new HttpError(
      403,
      'AccessDeniedHttpException',
      'You are attempting to use an application API key on an endpoint that requires a client API key.',
    ),
  // app/Http/Middleware/RequireTwoFactorAuthentication.php, app/Exceptions/Http/TwoFactorAuthRequiredException.php
  twoFactorRequired: (): HttpError =>
    new HttpError(
      400,
      'TwoFactorAuthRequiredException',
      'Two-factor authentication is required on this account in order to access this endpoint.',
    ),
  // app/Http/Middleware/Api/AuthenticateIPAccess.php
  ipNotAllowed: (ip: string): HttpError =>
    new HttpError(
      403,
      'AccessDeniedHttpException',
      `This IP address (${ip}) does not have permission to access the API using these credentials.`,
    ),
  // ClientApiRequest::authorize failing
  forbidden: (): HttpError => new HttpError(403, 'AccessDeniedHttpException', 'This action is unauthorized.'),
  // app/Exceptions/Http/Server/ServerStateConflictException.php
  conflict: (detail: string): HttpError => new HttpError(409, 'ServerStateConflictException', detail),
  // Laravel ThrottleRequests
  throttled: (headers: Record<string, string>): HttpError =>
    new HttpError(429, 'ThrottleRequestsException', 'Too Many Attempts.', { headers }),
  // app/Http/Middleware/Api/IsValidJson.php
  malformedJson: (parserMessage: string): HttpError =>
    new HttpError(
      400,
      'BadRequestHttpException',
      `The JSON data passed in the request appears to be malformed: ${parserMessage}`,
    ),
  badRequest: (detail: string): HttpError => new HttpError(400, 'BadRequestHttpException', detail),
  // app/Exceptions/Service/Backup/TooManyBackupsException.php (a DisplayException)
  tooManyBackups: (limit: number): HttpError =>
    new HttpError(
      400,
      'TooManyBackupsException',
      `Cannot create a new backup, this server has reached its limit of ${limit} backups.`,
      { kind: 'display' },
    ),
  // app/Exceptions/Service/Backup/BackupLockedException.php (a DisplayException)
  backupLocked: (): HttpError =>
    new HttpError(400, 'BackupLockedException', 'Cannot delete a backup that is marked as locked.', { kind: 'display' }),
  // Laravel router: no route matched
  routeNotFound: (path: string): HttpError =>
    new HttpError(404, 'NotFoundHttpException', `The route ${path} could not be found.`),
  methodNotAllowed: (method: string, path: string, allowed: string[]): HttpError =>
    new HttpError(
      405,
      'MethodNotAllowedHttpException',
      `The ${method} method is not supported for route ${path}. Supported methods: ${allowed.join(', ')}.`,
      { headers: { Allow: allowed.join(', ') } },
    ),
  // Handler: anything that is not an HTTP exception
  unexpected: (code: string): HttpError =>
    new HttpError(
      500,
      code,
      'An unexpected error was encountered while processing this request, please try again.',
      { kind: 'generic' },
    ),
};

export function validationError(entries: Array<{ field: string; rule: string; detail: string }>): HttpError {
  const first = entries[0];
  return new HttpError(422, 'ValidationException', first ? first.detail : 'The given data was invalid.', {
    kind: 'validation',
    entries: entries.map((e) => ({
      code: 'ValidationException',
      status: '422',
      detail: e.detail,
      meta: { source_field: e.field, rule: e.rule },
    })),
  });
}

/** PHP json_encode defaults (as Laravel's JsonResponse uses them): `\/` and `\uXXXX` escapes. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers },
    body: phpJson(value),
  };
}

export function noContent(headers: Record<string, string> = {}): Reply {
  return { status: 204, headers: { 'Cache-Control': 'no-cache, private', ...headers } };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Symfony RedirectResponse. */
export function redirectReply(url: string, headers: Record<string, string> = {}): Reply {
  const u = escapeHtml(url);
  const body =
    `<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n` +
    `        <meta http-equiv="refresh" content="0;url='${u}'" />\n\n        <title>Redirecting to ${u}</title>\n` +
    `    </head>\n    <body>\n        Redirecting to <a href="${u}">${u}</a>.\n    </body>\n</html>`;
  return {
    status: 302,
    headers: { ...headers, Location: url, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache, private' },
    body,
  };
}

/** Laravel's minimal error view. */
export function htmlErrorPage(status: number, headers: Record<string, string> = {}): Reply {
  const text = statusText(status);
  const body =
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${text}</title>\n</head>\n` +
    `<body>\n<div class="flex-center">${status} | ${text}</div>\n</body>\n</html>\n`;
  return { status, headers: { ...headers, 'Content-Type': 'text/html; charset=UTF-8', 'Cache-Control': 'no-cache, private' }, body };
}

/** A reverse proxy's error page (nginx style), for the 'html' fault. */
export function proxyHtmlPage(status: number): Reply {
  const title = `${status} ${statusText(status)}`;
  return {
    status,
    headers: { 'Content-Type': 'text/html', Server: 'nginx' },
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  };
}

export interface RenderContext {
  expectsJson: boolean;
  panelUrl: string;
  referer: string | undefined;
}

/** Handler::render: JSON for requests that expect it; otherwise a redirect or an HTML page (§5.1). */
export function renderError(err: HttpError, ctx: RenderContext, headers: Record<string, string>): Reply {
  const all = { ...headers, ...err.headers };
  if (ctx.expectsJson) {
    const entries = err.entries ?? [{ code: err.code, status: String(err.status), detail: err.detail }];
    return jsonReply(err.status, { errors: entries }, all);
  }
  if (err.kind === 'auth') return redirectReply(`${ctx.panelUrl}/auth/login`, all);
  // DisplayException::render and ValidationException redirect back.
  if (err.kind === 'display' || err.kind === 'validation') return redirectReply(ctx.referer ?? ctx.panelUrl, all);
  return htmlErrorPage(err.status, all);
}
