import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InputError, parseInputs } from '../../src/inputs/parse-inputs.js';
import type { InputName } from '../../src/constants.js';
import { readInputs } from '../../src/inputs/read-inputs.js';

const VALID = {
  'panel-url': 'https://panel.example.com',
  'api-key': 'ptlc_abcdefghijk0123456789012345678901234567890',
  'server-id': '1a2b3c4d',
};

function parse(inputs: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = { ...VALID, ...inputs };
  return parseInputs((name) => all[name] ?? '');
}

function problemsOf(inputs: Partial<Record<InputName, string>>): string[] {
  try {
    parse(inputs);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error('expected an InputError');
}

describe('parseInputs', () => {
  it('applies the defaults of action.yml', () => {
    const { settings, warnings } = parse({});
    expect(settings.operation).toBe('create');
    expect(settings.wait).toBe(true);
    expect(settings.waitTimeoutMs).toBe(3_600_000);
    expect(settings.pollIntervalMs).toBe(5_000);
    expect(settings.waitStrategy).toBe('auto');
    expect(settings.restartServer).toBe(true);
    expect(settings.summary).toBe(true);
    expect(settings.concurrency).toBe(4);
    expect(settings.servers).toEqual({ mode: 'single', id: '1a2b3c4d' });
    expect(settings.panelUrl.href).toBe('https://panel.example.com/');
    expect(warnings).toEqual([]);
  });

  it('keeps a path prefix and drops trailing slashes from panel-url', () => {
    expect(parse({ 'panel-url': 'https://example.com/panel/' }).settings.panelUrl.pathname).toBe('/panel');
    expect(parse({ 'panel-url': 'https://example.com//' }).settings.panelUrl.pathname).toBe('/');
  });

  it.each([
    ['panel-url', 'ftp://panel.example.com', /panel-url uses ftp; expected an https:\/\/ URL/],
    ['panel-url', 'panel.example.com', /panel-url 'panel.example.com' is not a URL/],
    ['panel-url', 'http://panel.example.com', /panel-url is http:\/\/.*allow-insecure-http: true/],
    ['panel-url', 'https://user:pw@panel.example.com', /panel-url must not contain credentials/],
    ['panel-url', 'https://panel.example.com/?x=1', /panel-url must not contain a query/],
    ['server-id', 'abc', /server-id 'abc' is neither an 8-character short id .* nor a server UUID/],
    ['server-id', '1a2b3c4d-1a2b', /server-id '1a2b3c4d-1a2b' is neither/],
    ['server-id', '1a2b3c4d,zz', /server-id 'zz' is neither/],
    ['operation', 'backup', /operation 'backup' is not an operation; expected one of create, list, get, download, delete, lock, unlock, restore, prune/],
    ['backup-id', 'newest', /backup-id 'newest' is neither a backup UUID nor 'latest'/],
    ['name', 'x'.repeat(256), /name is 256 characters long; expected at most 255/],
    ['wait-timeout', '1.5h', /wait-timeout expected whole seconds \(e.g. 900\) or a whole number with s, m, h or d/],
    ['wait-timeout', '500ms', /wait-timeout expected whole seconds/],
    ['wait-timeout', '-5', /wait-timeout expected whole seconds/],
    ['wait-timeout', 'soon', /wait-timeout expected whole seconds/],
    ['wait-timeout', '0', /wait-timeout must be at least 1s/],
    ['poll-interval', '0s', /poll-interval must be at least 1s/],
    ['poll-interval', '2h', /poll-interval must be at most 1h/],
    ['wait-timeout', '8d', /wait-timeout must be at most 7d/],
    ['server-id', `ptlc_${'A'.repeat(43)}`, /server-id \(a value of 48 characters, not repeated here in case it is a key\) is neither/],
    ['panel-url', 'https://me:hunter2secret@panel .example.com', /panel-url 'https:\/\/\*\*\*@panel \.example\.com' is not a URL/],
    ['panel-url', 'https://me:hunter2/secret@panel.example.com', /panel-url 'https:\/\/\*\*\*@panel\.example\.com' is not a URL/],
    ['wait-strategy', 'push', /wait-strategy 'push' is not a strategy; expected auto, websocket or poll/],
    ['keep', '0', /keep expected a whole number of at least 1/],
    ['keep', 'three', /keep expected a whole number of at least 1/],
    ['keep-daily', '1.5', /keep-daily expected a whole number of at least 1/],
    ['concurrency', '0', /concurrency expected a whole number of at least 1/],
    ['max-age', '30', /max-age expected a whole number with a unit: s, m, h or d/],
    ['max-age', '30m', /max-age must be at least 1h/],
    ['headers', 'CF-Access-Client-Id abc', /headers line 1 has no colon; expected one 'Name: value' per line/],
    ['headers', 'Authorization: Basic x', /headers line 1 sets Authorization, which the action sets itself/],
    ['headers', 'X-Token s3cretPart: x', /^headers line 1 has a character after 'X-Token' that a header name cannot hold; expected one 'Name: value' per line$/],
    ['headers', 'X-Api-Key=s3cretPart:x', /^headers line 1 has a character after 'X-Api-Key' that a header name cannot hold/],
    ['headers', 'X-Id: ab\u200bcd', /^headers line 1 has a character in its value that a header cannot carry \(a control character, or one beyond Latin-1/],
    ['api-key', `ptlc_${'A'.repeat(20)}\u200b${'B'.repeat(23)}`, /^api-key contains a character that is not visible ASCII/],
    ['locked', 'yes', /locked expected true or false/],
    ['wait', 'on', /wait expected true or false/],
    ['dry-run', '1', /dry-run expected true or false/],
    ['allow-insecure-http', 'True!', /allow-insecure-http expected true or false/],
    ['panel-url', 'ws://panel.example.com', /panel-url uses ws; expected an https:\/\/ URL/],
    ['panel-url', 'https://:hunter2@panel.example.com', /panel-url must not contain credentials/],
    ['panel-url', 'https://panel.example.com/#backups', /panel-url must not contain a query \(\?\.\.\.\) or fragment/],
    ['api-key', 'ptlc_abc def', /^api-key contains whitespace; expected the key alone$/],
    ['server-id', ',\n,', /^server-id the list holds no server ids$/],
    ['server-id', 'x'.repeat(41), /^server-id \(a value of 41 characters, not repeated here in case it is a key\) is neither/],
    ['server-id', 'ptlc_abc', /^server-id \(a value of 8 characters, not repeated here in case it is a key\) is neither/],
    ['concurrency', '65', /concurrency expected a whole number of at most 64/],
    ['skip-if-newer-than', '9999999999999999d', /skip-if-newer-than is too large; expected whole seconds/],
  ] as Array<[InputName, string, RegExp]>)('rejects %s: %s', (input, value, message) => {
    const extra: Partial<Record<InputName, string>> = { [input]: value };
    // keep-* and max-age are checked whatever the operation; backup-id needs an operation using it.
    if (input === 'backup-id') extra.operation = 'get';
    const problems = problemsOf(extra);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each(['Authorization', 'accept', 'Content-Type', 'Content-Length', 'Host', 'Transfer-Encoding', 'Connection', 'Cookie'])(
    'refuses a header the action sets itself or that breaks the request: %s',
    (name) => {
      expect(problemsOf({ headers: `X-Ok: fine\n${name}: x` })).toEqual([`headers line 2 sets ${name}, which the action sets itself; remove it`]);
    },
  );

  it('accepts the boundaries: a 255-character name, poll-interval 1h, wait-timeout 7d, 40 characters quoted', () => {
    const { settings } = parse({ name: 'n'.repeat(255), 'poll-interval': '1h', 'wait-timeout': '7d' });
    expect(settings.name).toHaveLength(255);
    expect(settings.pollIntervalMs).toBe(3_600_000);
    expect(settings.waitTimeoutMs).toBe(7 * 86_400_000);
    expect(problemsOf({ 'server-id': 'x'.repeat(40) })).toEqual([expect.stringMatching(/^server-id 'x{40}' is neither/)]);
  });

  it('says "Invalid input" for one problem and lists several', () => {
    expect(() => parse({ keep: '0' })).toThrow(new InputError(['keep expected a whole number of at least 1']));
    expect(new InputError(['keep expected a whole number of at least 1']).message).toBe('Invalid input: keep expected a whole number of at least 1');
    expect(new InputError(['a is wrong', 'b is wrong']).message).toBe('Invalid inputs:\n- a is wrong\n- b is wrong');
  });

  it.each(['panel-url', 'api-key', 'server-id'] as InputName[])('requires %s', (input) => {
    const problems = problemsOf({ [input]: '' });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${input} is required; expected `))]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ 'server-id': 'x', 'wait-timeout': 'soon', keep: '0' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['server-id', 'wait-timeout', 'keep']);
  });

  it('never repeats a header value or the API key in a message', () => {
    const problems = problemsOf({ headers: 'X-Secret: hunter2-value\nbad line', 'api-key': 'ptlc_key with space' });
    expect(problems.join('\n')).not.toContain('hunter2-value');
    expect(problems.join('\n')).not.toContain('ptlc_key');
    for (const headers of ['X-Key hunter3-value: x', 'X-Key=hunter3-value:x', 'X-Zw: hunter3\u200bvalue']) {
      const [problem] = problemsOf({ headers });
      expect(problem).toMatch(/^headers line 1 /);
      expect(problem).not.toContain('hunter3');
    }
  });

  it.each([
    ['create', { 'backup-id': 'latest' }, /backup-id cannot be used with operation 'create'/],
    ['list', { 'backup-id': '00000000-0000-4000-8000-000000000001' }, /backup-id cannot be used with operation 'list'/],
    ['prune', { 'backup-id': 'latest', keep: '3' }, /backup-id cannot be used with operation 'prune'/],
    ['delete', { 'backup-id': 'latest' }, /backup-id cannot be 'latest' for operation 'delete'/],
    ['get', {}, /backup-id is required for operation 'get'/],
    ['restore', {}, /backup-id is required for operation 'restore'/],
    ['create', { 'download-path': 'out', wait: 'false' }, /download-path needs wait: true/],
    ['prune', {}, /operation 'prune' needs a retention rule/],
  ] as Array<[string, Partial<Record<InputName, string>>, RegExp]>)('rejects contradictions: %s %o', (operation, extra, message) => {
    expect(problemsOf({ operation, ...extra })).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    [{ operation: 'restore', 'backup-id': 'latest' }, /operation 'restore' cannot run on several servers/],
    [{ operation: 'delete', 'backup-id': '00000000-0000-4000-8000-000000000001' }, /operation 'delete' cannot run on several servers/],
    [{ operation: 'unlock', 'backup-id': 'latest' }, /operation 'unlock' cannot run on several servers/],
    [{ operation: 'get', 'backup-id': '00000000-0000-4000-8000-000000000001' }, /backup-id cannot be a backup UUID when server-id names several servers/],
    [{ 'download-path': 'backup.tar.gz' }, /download-path must be a directory \(an existing one, or a path ending in \/\) when server-id names several servers/],
  ] as Array<[Partial<Record<InputName, string>>, RegExp]>)('refuses in fleet mode: %o', (extra, message) => {
    for (const servers of ['all', '1a2b3c4d,2b3c4d5e']) {
      expect(problemsOf({ 'server-id': servers, ...extra })).toContainEqual(expect.stringMatching(message));
    }
  });

  it('takes an existing directory as download-path in fleet mode, and ignores download-path where unused', () => {
    const existing = mkdtempSync(join(tmpdir(), 'fleet-dl-'));
    expect(parse({ 'server-id': 'all', 'download-path': existing }).settings.downloadPath).toBe(existing);
    expect(parse({ 'server-id': 'all', 'download-path': `${existing}/new/` }).settings.downloadPath).toBe(`${existing}/new/`);
    const home = mkdtempSync(join(homedir(), '.fleet-dl-'));
    expect(parse({ 'server-id': 'all', 'download-path': `~/${basename(home)}` }).settings.downloadPath).toBe(`~/${basename(home)}`);
    rmSync(home, { recursive: true });
    const { warnings } = parse({ 'server-id': 'all', operation: 'get', 'backup-id': 'latest', 'download-path': 'backup.tar.gz' });
    expect(warnings).toEqual(["Operation 'get' does not use download-path; it is ignored."]);
    rmSync(existing, { recursive: true });
  });

  // The panel's short id is the first 8 characters of the server's UUID: both name one server.
  it('works once on a server listed by its short id and by its UUID, under the form given first', () => {
    const uuid = '1a2b3c4d-0000-4000-8000-00000000000a';
    expect(parse({ 'server-id': `1a2b3c4d\n${uuid.toUpperCase()}` }).settings.servers).toEqual({ mode: 'list', ids: ['1a2b3c4d'] });
    expect(parse({ 'server-id': `${uuid}, 1A2B3C4D, 2b3c4d5e` }).settings.servers).toEqual({ mode: 'list', ids: [uuid, '2b3c4d5e'] });
    // Two UUIDs are two servers even when they start alike (the panel refuses the one that does not exist).
    const other = '1a2b3c4d-0000-4000-8000-00000000000b';
    expect(parse({ 'server-id': `${uuid},${other}` }).settings.servers).toEqual({ mode: 'list', ids: [uuid, other] });
  });

  it('allows latest and lock in fleet mode', () => {
    expect(parse({ 'server-id': 'all', operation: 'lock', 'backup-id': 'latest' }).settings.servers).toEqual({ mode: 'all' });
  });

  it('counts wait-strategy as used by restore (it decides whether the power state is read live)', () => {
    expect(parse({ operation: 'restore', 'backup-id': 'latest', 'wait-strategy': 'poll' }).warnings).toEqual([]);
  });

  it('warns about concurrency for a single server', () => {
    expect(parse({ concurrency: '8' }).warnings).toEqual(["Operation 'create' does not use concurrency; it is ignored."]);
    expect(parse({ concurrency: '8', 'server-id': 'all' }).warnings).toEqual([]);
  });

  it('warns about inputs read only in some runs when this run does not read them', () => {
    const ignored = (inputs: Record<string, string>) => parse(inputs).warnings;
    expect(ignored({ 'retention-match': 'nightly-*' })).toEqual(["Operation 'create' does not use retention-match; it is ignored."]);
    expect(ignored({ 'retention-match': 'nightly-*', keep: '3' })).toEqual([]);
    expect(ignored({ 'retention-match': 'nightly-*', 'skip-if-newer-than': '6h' })).toEqual([]);
    expect(ignored({ operation: 'get', 'backup-id': 'latest', 'retention-match': 'nightly-*' })).toEqual([]);
    expect(ignored({ operation: 'get', 'backup-id': '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'retention-match': 'nightly-*' })).toEqual(["Operation 'get' does not use retention-match; it is ignored."]);
    expect(ignored({ wait: 'false', 'wait-timeout': '2h', 'poll-interval': '10s' })).toEqual(["Operation 'create' does not use wait-timeout, poll-interval; they are ignored."]);
    expect(ignored({ wait: 'false', 'wait-strategy': 'poll' })).toEqual(["Operation 'create' does not use wait-strategy; it is ignored."]);
    expect(ignored({ operation: 'restore', 'backup-id': 'latest', wait: 'false', 'wait-timeout': '2h' })).toEqual([]);
    expect(ignored({ operation: 'prune', keep: '3', 'retention-match': 'nightly-*', 'dry-run': 'true' })).toEqual([]);
    expect(ignored({ rotate: 'true', 'retention-match': 'nightly-*' })).toEqual([]);
  });

  it('warns about each input the operation never reads', () => {
    const everything = {
      name: 'n',
      'ignored-files': '*.log',
      locked: 'true',
      wait: 'false',
      'wait-timeout': '2h',
      'wait-strategy': 'poll',
      'poll-interval': '10s',
      'download-path': 'out/',
      'skip-if-newer-than': '6h',
      rotate: 'true',
      keep: '3',
      'keep-daily': '7',
      'keep-weekly': '4',
      'keep-monthly': '6',
      'max-age': '30d',
      'prune-failed': 'true',
      'retention-match': 'nightly-*',
      truncate: 'true',
      'restart-server': 'false',
      'dry-run': 'true',
      concurrency: '8',
    };
    expect(parse({ operation: 'list', ...everything }).warnings).toEqual([
      `Operation 'list' does not use ${Object.keys(everything).join(', ')}; they are ignored.`,
    ]);
    const { keep, 'keep-daily': _d, 'keep-weekly': _w, 'keep-monthly': _m, 'max-age': _a, 'prune-failed': _f, 'retention-match': _r, 'dry-run': _n, ...notPrune } = everything;
    expect(parse({ operation: 'prune', keep, ...notPrune }).warnings).toEqual([
      `Operation 'prune' does not use ${Object.keys(notPrune).join(', ')}; they are ignored.`,
    ]);
  });

  it('warns once about inputs the operation does not use', () => {
    const { warnings } = parse({ operation: 'list', name: 'x', locked: 'true', wait: 'true' });
    expect(warnings).toEqual(["Operation 'list' does not use name, locked; they are ignored."]);
  });

  it('parses durations, lists, booleans and headers', () => {
    const { settings } = parse({
      'wait-timeout': '90',
      'poll-interval': '2m',
      'skip-if-newer-than': '1d',
      'max-age': '30d',
      'ignored-files': '*.log\r\n\n  \ncache/\n',
      'retention-match': 'octo/site@*\n!*manual*',
      headers: 'CF-Access-Client-Id: id.access\nCF-Access-Client-Secret:  s3cr3t ',
      locked: 'TRUE',
      wait: 'False',
      'server-id': '1A2B3C4D, 00000000-0000-4000-8000-00000000000A\n1a2b3c4d',
    });
    expect(settings.waitTimeoutMs).toBe(90_000);
    expect(settings.pollIntervalMs).toBe(120_000);
    expect(settings.skipIfNewerThanMs).toBe(86_400_000);
    expect(settings.retention.maxAgeMs).toBe(30 * 86_400_000);
    expect(settings.ignoredFiles).toEqual(['*.log', 'cache/']);
    expect(settings.retentionMatch).toEqual(['octo/site@*', '!*manual*']);
    expect(settings.headers).toEqual({ 'CF-Access-Client-Id': 'id.access', 'CF-Access-Client-Secret': 's3cr3t' });
    expect(settings.locked).toBe(true);
    expect(settings.wait).toBe(false);
    expect(settings.servers).toEqual({ mode: 'list', ids: ['1a2b3c4d', '00000000-0000-4000-8000-00000000000a'] });
    expect(parse({ 'server-id': 'all' }).settings.servers).toEqual({ mode: 'all' });
    expect(parse({ locked: 'True', wait: 'FALSE' }).settings).toMatchObject({ locked: true, wait: false });
  });

  it('skips blank entries of a server list, lowercases a backup UUID and trims retention-match lines', () => {
    expect(parse({ 'server-id': '1a2b3c4d,\n\n 2b3c4d5e ,' }).settings.servers).toEqual({ mode: 'list', ids: ['1a2b3c4d', '2b3c4d5e'] });
    expect(parse({ operation: 'get', 'backup-id': '0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D' }).settings.backupId).toEqual({
      kind: 'uuid',
      uuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    });
    expect(parse({ operation: 'prune', keep: '3', 'retention-match': 'nightly-* \n  !*manual*\t' }).settings.retentionMatch).toEqual(['nightly-*', '!*manual*']);
  });

  it('accepts http:// with allow-insecure-http', () => {
    expect(parse({ 'panel-url': 'http://10.0.0.5:8080', 'allow-insecure-http': 'true' }).settings.panelUrl.protocol).toBe('http:');
  });
});

describe('readInputs (the runner environment)', () => {
  it('reads INPUT_<NAME> with hyphens kept and masks the key and header values', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.stubEnv('INPUT_PANEL-URL', 'https://panel.example.com/panel/');
    vi.stubEnv('INPUT_API-KEY', 'ptlc_maskmemaskmemaskme');
    vi.stubEnv('INPUT_SERVER-ID', '1a2b3c4d');
    vi.stubEnv('INPUT_WAIT-TIMEOUT', '15m');
    vi.stubEnv('INPUT_HEADERS', 'CF-Access-Client-Secret: value-to-mask');
    const { settings } = readInputs();
    const written = stdout.mock.calls.map((call) => String(call[0])).join('');
    stdout.mockRestore();
    expect(settings.panelUrl.pathname).toBe('/panel');
    expect(settings.waitTimeoutMs).toBe(900_000);
    expect(written).toContain('::add-mask::ptlc_maskmemaskmemaskme');
    expect(written).toContain('::add-mask::value-to-mask');
  });
});
