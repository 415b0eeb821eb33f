import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, countRoute, startPanel } from './harness.ts';
import type { Panel } from './harness.ts';
import { runAction } from './run-action.ts';

let panel: Panel;
beforeEach(async () => {
  panel = await startPanel();
});
afterEach(async () => {
  await panel.sim.close();
});

describe('bad inputs are rejected before any request, naming the input', () => {
  it.each([
    [{ 'server-id': 'survival' }, /server-id 'survival' is neither an 8-character short id/],
    [{ 'panel-url': 'ftp://panel' }, /panel-url uses ftp; expected an https:\/\/ URL/],
    [{ 'allow-insecure-http': 'false' }, /panel-url is http:\/\/.*set allow-insecure-http: true/],
    [{ operation: 'snapshot' }, /operation 'snapshot' is not an operation; expected one of create, list/],
    [{ operation: 'get', 'backup-id': 'newest' }, /backup-id 'newest' is neither a backup UUID nor 'latest'/],
    [{ 'backup-id': 'latest' }, /backup-id cannot be used with operation 'create'/],
    [{ operation: 'delete', 'backup-id': 'latest' }, /backup-id cannot be 'latest' for operation 'delete'/],
    [{ name: 'x'.repeat(256) }, /name is 256 characters long; expected at most 255/],
    [{ 'wait-timeout': '1.5h' }, /wait-timeout expected whole seconds/],
    [{ 'poll-interval': '500ms' }, /poll-interval expected whole seconds/],
    [{ keep: '-1' }, /keep expected a whole number of at least 1/],
    [{ headers: 'no colon here' }, /headers line 1 has no colon/],
    [{ wait: 'yes' }, /wait expected true or false/],
    [{ 'download-path': 'out', wait: 'false' }, /download-path needs wait: true/],
    [{ operation: 'prune' }, /operation 'prune' needs a retention rule/],
  ] as Array<[Record<string, string>, RegExp]>)('%o', async (inputs, message) => {
    const run = await act(panel, inputs);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(run.errors[0]).toContain('No request was sent to the panel.');
    expect(panel.sim.requests).toEqual([]);
    expect(run.summary).toContain('<h3>Pterodactyl backup: not started</h3>');
    expect(run.summary).toContain('<tr><th>Status</th><td>failed</td></tr>');
    expect(run.summary).toContain('No request was sent to the panel.');
  });

  it('names a missing required input', async () => {
    const run = await runAction({ 'panel-url': panel.sim.panelUrl, 'allow-insecure-http': 'true', 'server-id': panel.server.identifier });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/api-key is required; expected a client API key/);
    expect(panel.sim.requests).toEqual([]);
  });
});

describe('panel errors end the step with one clear message', () => {
  it('an unknown key (401)', async () => {
    const run = await act(panel, { operation: 'list' }, { apiKey: 'ptlc_' + 'x'.repeat(43) });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/^Server [0-9a-f]{8}: the panel refused GET \/servers\/[0-9a-f]{8} with 401 AuthenticationException: Unauthenticated\.\nThe panel rejected the API key/);
  });

  it('an application key (403)', async () => {
    const run = await act(panel, { operation: 'list' }, { apiKey: panel.sim.applicationKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/403 AccessDeniedHttpException: You are attempting to use an application API key.*\napi-key is an application key/);
  });

  it('a server the key cannot see (404)', async () => {
    const run = await act(panel, { operation: 'list', 'server-id': 'deadbeef' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/404 NotFoundHttpException: .*\nThe server does not exist or the key's user cannot see it\. Check server-id/);
  });

  it('a create that fails before anything is made still sets skipped to false for later steps', async () => {
    const run = await act(panel, { 'server-id': 'deadbeef' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.skipped).toBe('false');
  });

  it('at the backup limit without rotate, says what to do', async () => {
    panel.sim.server(panel.server.identifier).backupLimit = 1;
    panel.sim.addBackup(panel.server.identifier, { name: 'the only one' });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/400 TooManyBackupsException: Cannot create a new backup, this server has reached its limit of 1 backups\.\nSet rotate: true/);
  });

  it('a suspended server (409)', async () => {
    panel.sim.server(panel.server.identifier).suspended = true;
    const run = await act(panel, {});
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('409 ServerStateConflictException: This server is currently suspended and the functionality requested is unavailable.');
  });

  it('a subuser without the permission, before the request', async () => {
    const { apiKey } = panel.sim.addUser({ permissions: ['backup.read'] });
    const run = await act(panel, {}, { apiKey });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/lacks the backup\.create permission, which is needed to create backups/);
    expect(countRoute(panel, 'backups.create')).toBe(0);
  });

  it("a proxy's HTML error page, reported in one short line", async () => {
    panel.sim.fault({ route: 'server.view', kind: 'html', status: 403 });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/403: an HTML page .*instead of the panel's JSON/);
    expect(run.errors[0]!.length).toBeLessThan(600);
    expect(run.errors[0]).not.toMatch(/<html|<body/i);
  });

  it('a proxy that wants credentials: said so once, with where they go, and nothing sent again', async () => {
    let connects = 0;
    const proxy = createServer((client) => {
      connects++;
      client.once('data', () => client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'));
    }).listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    try {
      const env = { HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
      const run = await act(panel, { 'panel-url': 'https://panel.invalid', operation: 'list' }, { env });
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]).toContain('could not talk to the panel: GET https://panel.invalid/api/client/servers/');
      expect(run.errors[0]).toContain('the proxy asked for credentials (407 Proxy Authentication Required).');
      expect(run.errors[0]).toContain('http://user:password@host:port');
      expect(connects).toBe(1);
    } finally {
      proxy.close();
    }
  });

  it('a socks5:// proxy: refused by name at once, without retries', async () => {
    const run = await act(panel, { 'panel-url': 'https://panel.invalid', operation: 'list' }, { env: { HTTPS_PROXY: 'socks5://user:s0cks-pass-word@127.0.0.1:1080' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(['Server ' + panel.server.identifier + ': the proxy in HTTPS_PROXY/HTTP_PROXY uses socks5://; only http:// and https:// proxies are supported.']);
    expect(run.stdout).not.toContain('trying again');
    expect(run.stdout + run.summary).not.toContain('s0cks-pass-word');
  });

  it("the runner's output file missing: the step still fails with a message and writes its summary", async () => {
    const run = await act(panel, { operation: 'list' }, { env: { GITHUB_OUTPUT: '/nonexistent/ptero-action/output' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `Server ${panel.server.identifier}: the step's outputs could not be written (Missing file at path: /nonexistent/ptero-action/output); GITHUB_OUTPUT must name a writable file.`,
    ]);
    expect(run.summary).toContain('Missing file at path');
  });

  it("the runner's output file missing after a failure: the first failure stays the message", async () => {
    // backup-uuid is known (from backup-id) when the run fails, so there is an output to write.
    const inputs = { 'server-id': 'deadbeef', operation: 'get', 'backup-id': '00000000-0000-4000-8000-000000000001' };
    const run = await act(panel, inputs, { env: { GITHUB_OUTPUT: '/nonexistent/ptero-action/output' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^Server deadbeef: the panel refused GET \/servers\/deadbeef with 404/)]);
    expect(run.warnings).toContainEqual(expect.stringMatching(/^The step's outputs could not be written \(Missing file at path/));
    expect(run.summary).toContain('404');
  });

  it('repeats reads through 5xx answers and resets', async () => {
    panel.sim.fault({ route: 'server.view', kind: 'status', status: 502, body: 'Bad Gateway' });
    panel.sim.fault({ route: 'backups.list', kind: 'reset-before' });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'server.view')).toBe(2);
  });

  it('waits out the general rate limit on reads', async () => {
    panel.sim.fault({ route: 'backups.list', kind: 'rate-limit', retryAfterSec: 1 });
    const run = await act(panel, { operation: 'list' });
    expect(run.exitCode).toBe(0);
    expect(countRoute(panel, 'backups.list')).toBe(2);
  });

  it('keeps waiting through a passing failure while polling', async () => {
    panel.sim.settings.backupDurationMs = 2_500;
    panel.sim.fault({ route: 'backups.view', kind: 'status', status: 503, body: '', times: 5 });
    const run = await act(panel, {});
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('successful');
  });

  it('a panel that cannot be reached', async () => {
    const url = panel.sim.panelUrl;
    await panel.sim.close();
    const run = await runAction({ 'panel-url': url, 'allow-insecure-http': 'true', 'api-key': 'ptlc_k', 'server-id': '1a2b3c4d', operation: 'list' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/could not talk to the panel: GET http:\/\/127\.0\.0\.1:\d+\/api\/client\/servers\/1a2b3c4d: the connection was refused \(ECONNREFUSED\)\.\nCheck panel-url/);
    panel = await startPanel();
  }, 60_000);
});
