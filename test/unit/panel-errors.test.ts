import { describe, expect, it } from 'vitest';
import { PanelError, panelErrorFromResponse } from '../../src/panel/errors.js';
import { describeFailure, unexpectedTrace } from '../../src/report/describe-failure.js';
import { ActionError } from '../../src/errors.js';
import { NetworkError } from '../../src/http/network-error.js';
import { UnexpectedResponseError } from '../../src/panel/parse.js';
import { isUnclearFailure } from '../../src/panel/unclear-failure.js';
import { estimatePanelNow } from '../../src/panel/clock.js';

const label = (path: string, permission?: string) => ({ method: 'GET', path, permission });
const json = (status: number, errors: unknown[]) => ({
  status,
  headers: { 'content-type': 'application/json' },
  text: JSON.stringify({ errors }),
});

describe('panelErrorFromResponse', () => {
  it('carries status, code and detail from the envelope', () => {
    const error = panelErrorFromResponse(
      json(400, [{ code: 'TooManyBackupsException', status: '400', detail: 'Cannot create a new backup, this server has reached its limit of 3 backups.' }]),
      label('/servers/1a2b3c4d/backups', 'backup.create'),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('TooManyBackupsException');
    expect(error.detail).toBe('Cannot create a new backup, this server has reached its limit of 3 backups.');
  });

  it('joins the details of a 422', () => {
    const error = panelErrorFromResponse(
      json(422, [
        { code: 'ValidationException', status: '422', detail: 'The name may not be greater than 191 characters.', meta: { source_field: 'name', rule: 'max' } },
        { code: 'ValidationException', status: '422', detail: 'The is_locked field must be true or false.', meta: { source_field: 'is_locked', rule: 'boolean' } },
      ]),
      label('/servers/1a2b3c4d/backups'),
    );
    expect(error.details).toHaveLength(2);
    expect(error.detail).toContain('191 characters');
    expect(error.detail).toContain('is_locked');
  });

  it("scrubs the panel's detail (it may echo a token) and keeps it to one short line", () => {
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWhlcmUtaXMtbG9uZw';
    const error = panelErrorFromResponse(
      json(403, [{ code: 'AccessDeniedHttpException', status: '403', detail: `Token ${jwt} and ptlc_Zz0123456789abc refused.\n${'x'.repeat(400)}` }]),
      label('/servers/1a2b3c4d'),
    );
    expect(error.detail).toMatch(/^Token \*\*\* and \*\*\* refused\. x+…$/);
    expect(error.detail.length).toBeLessThanOrEqual(301);
  });

  it("describes a proxy's HTML page in one short line, never the page", () => {
    const page = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>${'<p>cloudflare ray id</p>'.repeat(500)}</body></html>`;
    const error = panelErrorFromResponse({ status: 502, headers: { 'content-type': 'text/html' }, text: page }, label('/servers/1a2b3c4d'));
    expect(error.status).toBe(502);
    expect(error.code).toBeUndefined();
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('"502 Bad Gateway"');
    expect(error.message).not.toContain('cloudflare ray id');
  });

  it('describes an empty body', () => {
    const error = panelErrorFromResponse({ status: 503, headers: {}, text: '' }, label('/servers/1a2b3c4d'));
    expect(error.detail).toMatch(/an empty answer/);
    expect(panelErrorFromResponse({ status: 503, headers: {}, text: ' \r\n' }, label('/servers/1a2b3c4d')).detail).toMatch(/^an empty answer/);
  });

  it('says what failed in its message: method, path, status, code and every detail', () => {
    const error = panelErrorFromResponse(
      json(422, [
        { code: 'ValidationException', status: '422', detail: 'The name field is required.' },
        { code: 'ValidationException', status: '422', detail: '' },
        { code: 'ValidationException', status: '422', detail: 'The is_locked field must be true or false.' },
      ]),
      { method: 'POST', path: '/servers/1a2b3c4d/backups', permission: undefined },
    );
    expect(error.details).toEqual(['The name field is required.', 'The is_locked field must be true or false.']);
    expect(error.message).toBe(
      'POST /servers/1a2b3c4d/backups answered 422 ValidationException: The name field is required. The is_locked field must be true or false.',
    );
  });

  it("reads the panel's envelope whatever the content type says, and survives a broken JSON body", () => {
    const envelope = JSON.stringify({ errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] });
    const mislabelled = panelErrorFromResponse({ status: 404, headers: { 'content-type': 'text/html' }, text: envelope }, label('/servers/1a2b3c4d'));
    expect(mislabelled.code).toBe('NotFoundHttpException');
    const broken = panelErrorFromResponse({ status: 502, headers: { 'content-type': 'application/json' }, text: '{"errors": [' }, label('/servers/1a2b3c4d'));
    expect(broken).toMatchObject({ name: 'PanelError', status: 502, code: undefined });
    expect(broken.detail).toMatch(/^a non-JSON answer instead of the panel's JSON/);
  });

  it('describes an error envelope without usable entries as not the panel\'s JSON', () => {
    for (const errors of [[], [null, 'oops']]) {
      const error = panelErrorFromResponse(json(500, errors), label('/servers/1a2b3c4d'));
      expect(error.code).toBeUndefined();
      expect(error.detail).toMatch(/instead of the panel's JSON/);
    }
  });

  it("keeps a page's title to one line of at most 80 characters, and knows a page by its doctype", () => {
    const long = panelErrorFromResponse(
      { status: 403, headers: { 'content-type': 'text/html' }, text: `<html><title>\n  Access\n   denied ${'x'.repeat(200)}</title></html>` },
      label('/servers/1a2b3c4d'),
    );
    expect(long.detail).toBe(`an HTML page ("${`Access denied ${'x'.repeat(200)}`.slice(0, 80)}…") instead of the panel's JSON; a proxy, firewall or wrong panel-url in between?`);
    const doctype = panelErrorFromResponse({ status: 403, headers: {}, text: '<!DOCTYPE html><title>Blocked</title>' }, label('/servers/1a2b3c4d'));
    expect(doctype.detail).toMatch(/^an HTML page \("Blocked"\)/);
  });

  it('mentions a redirect only for a 3xx that says where to', () => {
    const describe = (status: number, headers: Record<string, string>) => panelErrorFromResponse({ status, headers, text: '<html></html>' }, label('/servers/1a2b3c4d')).detail;
    expect(describe(302, { location: 'https://panel.example.com/auth/login' })).toContain('(a redirect, e.g. to a login page)');
    expect(describe(302, {})).not.toContain('redirect');
    expect(describe(502, { location: 'https://panel.example.com/auth/login' })).not.toContain('redirect');
  });
});

describe('isUnclearFailure', () => {
  const request = { method: 'POST', path: '/servers/1a2b3c4d/backups', permission: undefined };
  it('is unclear only when the request may have arrived and no clear answer came back', () => {
    expect(isUnclearFailure(new NetworkError('reset', 'reset'))).toBe(true);
    expect(isUnclearFailure(new NetworkError('response-timeout', 'timeout'))).toBe(true);
    expect(isUnclearFailure(new NetworkError('refused', 'refused'))).toBe(false);
    expect(isUnclearFailure(new NetworkError('aborted', 'cancelled'))).toBe(false);
    expect(isUnclearFailure(new PanelError(500, undefined, ['x'], request, {}))).toBe(true);
    expect(isUnclearFailure(new PanelError(504, 'DaemonConnectionException', ['x'], request, {}))).toBe(true);
    expect(isUnclearFailure(new PanelError(429, 'TooManyRequestsHttpException', ['x'], request, {}))).toBe(false);
    expect(isUnclearFailure(new Error('x'))).toBe(false);
  });
});

describe('estimatePanelNow', () => {
  it("moves the panel's Date header on by the local time since it arrived", () => {
    const panelDate = new Date('2026-11-25T12:00:00Z');
    expect(estimatePanelNow(panelDate, 1_000, 31_000)).toBe(panelDate.getTime() + 30_000);
    expect(estimatePanelNow(undefined, 1_000, 31_000)).toBeUndefined();
  });
});

describe('describeFailure', () => {
  const context = { serverId: '1a2b3c4d' };
  const fail = (status: number, code: string, detail: string, path = '/servers/1a2b3c4d/backups', permission?: string) =>
    describeFailure(panelErrorFromResponse(json(status, [{ code, status: String(status), detail }]), label(path, permission)), context);

  it('names the server and gives the panel detail and a next step', () => {
    const message = fail(401, 'AuthenticationException', 'Unauthenticated.');
    expect(message).toMatch(/^Server 1a2b3c4d: /);
    expect(message).toContain('401 AuthenticationException: Unauthenticated.');
    expect(message).toContain('Check that the api-key secret holds a current client API key');
  });

  it('says what to do when the server is at its backup limit, and when backups are disabled', () => {
    expect(fail(400, 'TooManyBackupsException', 'Cannot create a new backup, this server has reached its limit of 3 backups.')).toContain(
      'Set rotate: true to delete the oldest matching backup first, keep fewer with retention',
    );
    expect(fail(400, 'TooManyBackupsException', 'Cannot create a new backup, this server has reached its limit of 0 backups.')).toContain(
      'Backups are disabled on this server.',
    );
  });

  it('recognises an application key', () => {
    expect(fail(403, 'AccessDeniedHttpException', 'You are attempting to use an application API key on an endpoint that requires a client API key.')).toContain(
      'api-key is an application key',
    );
  });

  it('names the missing permission for a subuser', () => {
    expect(fail(403, 'AccessDeniedHttpException', 'This action is unauthorized.', '/servers/1a2b3c4d/backups', 'backup.create')).toContain(
      'lacks the backup.create permission',
    );
  });

  it('tells a missing server from a missing backup', () => {
    expect(fail(404, 'NotFoundHttpException', 'The requested resource does not exist on this server.', '/servers/1a2b3c4d')).toContain('Check server-id');
    expect(fail(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.', '/servers/1a2b3c4d/backups/x')).toContain(
      'Check backup-id',
    );
  });

  it('explains the 2FA requirement (400 TwoFactorAuthRequiredException)', () => {
    const message = fail(400, 'TwoFactorAuthRequiredException', 'Two-factor authentication is required on this account in order to access this endpoint.');
    expect(message).toContain('400 TwoFactorAuthRequiredException: Two-factor authentication is required on this account in order to access this endpoint.');
    expect(message).toContain("The panel requires two-factor authentication for this account. Enable 2FA on the key's account.");
  });

  it("explains the key's IP allow-list (403 naming the address), not a missing permission", () => {
    const message = fail(
      403,
      'AccessDeniedHttpException',
      'This IP address (203.0.113.7) does not have permission to access the API using these credentials.',
      '/servers/1a2b3c4d/backups',
      'backup.create',
    );
    expect(message).toContain('This IP address (203.0.113.7) does not have permission');
    expect(message).toContain("The key's allowed IPs do not include this runner.");
    expect(message).not.toContain('lacks the backup.create permission');
  });

  it('says a 404 on the backup list is about the server, not a backup', () => {
    expect(fail(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.', '/servers/1a2b3c4d/backups')).toContain('Check server-id');
  });

  it('explains a busy server (409), the rate limit (429) and a failing panel (500)', () => {
    expect(fail(409, 'ConflictHttpException', 'Another power action is currently being processed for this server.')).toContain(
      'The server is busy or unavailable (see above). Run again once it is back to normal.',
    );
    expect(fail(429, 'TooManyRequestsHttpException', 'Too Many Attempts.')).toContain("The panel's rate limit is shared by every tool using this account");
    expect(fail(500, 'HttpException', 'Server Error')).toContain('The panel, or a proxy in front of it, failed. Try again later');
  });

  it('explains the daemon being unreachable', () => {
    expect(fail(504, 'DaemonConnectionException', 'Could not establish a connection to the machine running this server. Please try again.')).toContain(
      'Check that the node is online',
    );
  });

  it('explains network and shape failures', () => {
    expect(describeFailure(new NetworkError('refused', 'GET https://p/api/client/servers/x: the connection was refused (ECONNREFUSED).'), context)).toContain(
      'Check panel-url',
    );
    expect(describeFailure(new UnexpectedResponseError('the server is not JSON'), context)).toBe(
      "Server 1a2b3c4d: the panel's answer was not understood: the server is not JSON. Is panel-url the panel's base address (without /api)?",
    );
    expect(describeFailure(new NetworkError('invalid-request', 'GET https://p/api/client: the request could not be sent as given.'), context)).toContain(
      'Check headers and panel-url for characters HTTP cannot carry',
    );
  });
});

describe('unexpectedTrace', () => {
  it('gives the stack of a failure the action did not foresee, asking for a report', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'uuid')");
    const trace = unexpectedTrace(bug);
    expect(trace).toMatch(/^The action did not foresee this failure; please report it, with this trace, in its issue tracker\.\nTypeError: Cannot read properties/);
    expect(trace).toContain('panel-errors.test.ts');
    expect(describeFailure(bug, { serverId: 'a1b2c3d4' })).toBe("Server a1b2c3d4: unexpected error: Cannot read properties of undefined (reading 'uuid')");
  });

  it('gives nothing for the failures it describes itself', () => {
    expect(unexpectedTrace(new ActionError('backup x failed'))).toBeUndefined();
    expect(unexpectedTrace(new NetworkError('refused', 'refused'))).toBeUndefined();
    expect(unexpectedTrace(new UnexpectedResponseError('not JSON'))).toBeUndefined();
    expect(unexpectedTrace('a thrown string')).toBeUndefined();
  });
});
