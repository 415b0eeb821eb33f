import { expect, it, vi } from 'vitest';
import { readInputs } from '../../src/inputs/read-inputs.js';
import { secrets } from '../../src/secrets.js';
import { errorText } from '../../src/wait/websocket/frames.js';

it('masks a value and its URL-encoded form once each, and redacts both', () => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  secrets.add('a b/c?d');
  secrets.add('a b/c?d');
  const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
  stdout.mockRestore();
  // The command escapes % as %25; the runner decodes it.
  expect(masks).toEqual(['::add-mask::a b/c?d\n', '::add-mask::a%2520b%252Fc%253Fd\n']);
  expect(secrets.redact('x a b/c?d y a%20b%2Fc%3Fd')).toBe('x *** y ***');
});

it('redacts a secret that holds another secret whole, leaving no piece of it', () => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  secrets.add('inner-secret-42');
  secrets.add('inner-secret-42-and-its-tail');
  stdout.mockRestore();
  expect(secrets.redact('sent inner-secret-42-and-its-tail and inner-secret-42')).toBe('sent *** and ***');
});

const masksOf = (register: () => void): string[] => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  register();
  const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
  stdout.mockRestore();
  return masks.map((line) => line.slice('::add-mask::'.length, -1));
};

it("masks a daemon's signed URL, its token, and each long part of the token", () => {
  const header = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9';
  const payload = 'eyJiYWNrdXBfdXVpZCI6IjEyMyJ9';
  const signature = 'c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
  const token = `${header}.${payload}.${signature}`;
  masksOf(() => secrets.addUrl(`https://node.example.com:8080/download/backup?token=${token}&server=1a2b`));
  expect(secrets.redact(`token ${token} leaked`)).toBe('token *** leaked');
  expect(secrets.redact(`url https://node.example.com:8080/download/backup?token=${token}&server=1a2b`)).toBe('url ***');
  // A library or a daemon may print one part of the token alone.
  expect(secrets.redact(`bad signature ${signature}`)).toBe('bad signature ***');
  expect(secrets.redact(`claims ${payload}`)).toBe('claims ***');
});

it("masks an S3 URL's signature and credential, never its plain words (host, the algorithm, dates)", () => {
  const url =
    'https://bucket.s3.amazonaws.com/backups/x.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
    '&X-Amz-Credential=AKIAEXAMPLEKEY%2F20261126%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261126T060000Z&X-Amz-Expires=300' +
    '&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const masks = masksOf(() => secrets.addUrl(url));
  expect(masks).toContain('AKIAEXAMPLEKEY/20261126/us-east-1/s3/aws4_request');
  expect(masks).toContain('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  for (const plain of ['host', 'AWS4-HMAC-SHA256', 'UNSIGNED-PAYLOAD', '20261126T060000Z', '300']) expect(masks).not.toContain(plain);
  expect(secrets.redact("backup 'ghost host' saved to localhost-backups/")).toBe("backup 'ghost host' saved to localhost-backups/");
});

it("scrubs an API key's shape from outside text, whole or cut short", () => {
  expect(secrets.scrub('Unauthenticated: token ptlc_AbCdEf0123456789 was revoked')).toBe('Unauthenticated: token *** was revoked');
  expect(secrets.scrub('key pacc_Zy9876543')).toBe('key ***');
  expect(secrets.scrub('ptlc_ is the prefix of client keys')).toBe('ptlc_ is the prefix of client keys');
});

it('masks headers values, and warns (without the value) about one too short to mask', () => {
  vi.stubEnv('INPUT_PANEL-URL', 'https://panel.example.com');
  vi.stubEnv('INPUT_API-KEY', `ptlc_${'k'.repeat(43)}`);
  vi.stubEnv('INPUT_SERVER-ID', '1a2b3c4d');
  vi.stubEnv('INPUT_HEADERS', 'X-Secret: s3cr3t-value\nX-K: abc\nX-Empty:\nX-Four: wxyz');
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const { warnings } = readInputs();
  const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
  stdout.mockRestore();
  expect(masks).toContain('::add-mask::s3cr3t-value\n');
  // Masking 'abc' would hide it all over the log and drop outputs holding it.
  expect(masks).not.toContain('::add-mask::abc\n');
  expect(masks).not.toContain('::add-mask::\n');
  expect(warnings).toContain(
    "headers: the value of 'X-K' is shorter than 4 characters, so it is not masked (masking it would hide those characters everywhere in the log and drop job outputs that contain them). The action never prints header values; if it is a secret, it is too short to be one.",
  );
  expect(warnings.join('\n')).not.toContain('abc');
  // Only X-K: an empty value is no secret, and 4 characters are long enough to mask.
  expect(masks).toContain('::add-mask::wxyz\n');
  expect(warnings.filter((warning) => warning.startsWith('headers:'))).toHaveLength(1);
  expect(secrets.redact('sent s3cr3t-value')).toBe('sent ***');
});

it('scrubs a token cut short (a close reason, a length limit) that redact cannot match', () => {
  const cut = 'expired eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vMTI';
  expect(secrets.scrub(cut)).toBe('expired ***');
  expect(errorText(`jwt: ${cut}`)).toBe('jwt: expired ***');
});

it('hides a piece of a known secret cut from anywhere in it, but not pieces of a URL', () => {
  const key = `ptlc_${'Q7wErTy9uIoP4aSdFgH2jKl0ZxCvBnM3'}${'k8Lp'}`;
  masksOf(() => {
    secrets.add(key);
    secrets.addUrl('https://node.example.com:8080/download/backup?token=abc');
  });
  expect(secrets.scrub(`Forbidden: token ${key.slice(5, 40)} refused`)).toBe('Forbidden: token *** refused');
  expect(secrets.scrub(`echo ${key.slice(9, 22)}!`)).toBe('echo ***!');
  // Shorter than a fragment: too common to be taken for the key.
  expect(secrets.scrub(`id ${key.slice(9, 20)}`)).toBe(`id ${key.slice(9, 20)}`);
  expect(secrets.scrub('from https://node.example.com:8080')).toBe('from https://node.example.com:8080');
});

it('makes outside text one line, scrubbed, then cut', () => {
  expect(secrets.oneLine('line one\n::error::injected\r\nend', 100)).toBe('line one ::error::injected end');
  expect(secrets.oneLine('x'.repeat(20), 10)).toBe(`${'x'.repeat(10)}…`);
});

it('redacts a secret with quotes or backslashes from JSON built around it', () => {
  const secret = 'abc"def\\ghi-0123';
  masksOf(() => secrets.add(secret));
  expect(secrets.redact(JSON.stringify({ name: `copied ${secret} here` }))).toBe('{"name":"copied *** here"}');
});

it('hides the rest of a token whose common header part is a known secret', () => {
  const header = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9';
  masksOf(() => secrets.add(`${header}.eyJzdWIiOiJrbm93biJ9.a25vd24tc2lnbmF0dXJl`));
  expect(secrets.scrub(`other token ${header}.eyJzdWIiOiJvdGhlciJ9.b3RoZXItc2lnbmF0dXJl here`)).toBe('other token *** here');
});

it("keeps an S3 credential's plain parts (date, region, aws4_request) readable in outside text", () => {
  masksOf(() => secrets.addUrl('https://b.s3.amazonaws.com/x?X-Amz-Credential=AKIAFRAGMENTKEY00001%2F20261126%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc'));
  expect(secrets.scrub('scope 20261126/us-east-1/s3/aws4_request of AKIAFRAGMENTKEY00001')).toBe('scope 20261126/us-east-1/s3/aws4_request of ***');
});

