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

it('masks a signed URL and each of its query values', () => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  secrets.addUrl('https://node.example.com:8080/download/backup?token=eyJhbGciOi.payload.signature');
  stdout.mockRestore();
  expect(secrets.redact('token eyJhbGciOi.payload.signature leaked')).toBe('token *** leaked');
});

it('masks headers values, and warns (without the value) about one too short to mask', () => {
  vi.stubEnv('INPUT_PANEL-URL', 'https://panel.example.com');
  vi.stubEnv('INPUT_API-KEY', `ptlc_${'k'.repeat(43)}`);
  vi.stubEnv('INPUT_SERVER-ID', '1a2b3c4d');
  vi.stubEnv('INPUT_HEADERS', 'X-Secret: s3cr3t-value\nX-K: abc\nX-Empty:');
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const { warnings } = readInputs();
  const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
  stdout.mockRestore();
  expect(masks).toContain('::add-mask::s3cr3t-value\n');
  // Masking 'abc' would hide it all over the log and drop outputs holding it.
  expect(masks).not.toContain('::add-mask::abc\n');
  expect(masks).not.toContain('::add-mask::\n');
  expect(warnings).toContain(
    "headers: the value of 'X-K' is shorter than 4 characters, so it is not masked (masking it would hide those characters everywhere in the log and drop outputs that contain them). The action never prints header values; if it is a secret, it is too short to be one.",
  );
  expect(warnings.join('\n')).not.toContain('abc');
  expect(secrets.redact('sent s3cr3t-value')).toBe('sent ***');
});

it('scrubs a token cut short (a close reason, a length limit) that redact cannot match', () => {
  const cut = 'expired eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vMTI';
  expect(secrets.scrub(cut)).toBe('expired ***');
  expect(errorText(`jwt: ${cut}`)).toBe('jwt: expired ***');
});
