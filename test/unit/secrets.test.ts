import { expect, it, vi } from 'vitest';
import { readInputs } from '../../src/inputs/read-inputs.js';
import { secrets } from '../../src/secrets.js';

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

it('masks every non-empty headers value, however short, and redacts it', () => {
  vi.stubEnv('INPUT_PANEL-URL', 'https://panel.example.com');
  vi.stubEnv('INPUT_API-KEY', `ptlc_${'k'.repeat(43)}`);
  vi.stubEnv('INPUT_SERVER-ID', '1a2b3c4d');
  vi.stubEnv('INPUT_HEADERS', 'X-K: abc\nX-One: 7\nX-Empty:');
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  readInputs();
  const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
  stdout.mockRestore();
  expect(masks).toContain('::add-mask::abc\n');
  expect(masks).toContain('::add-mask::7\n');
  // An empty value is nothing to mask (masking '' would be refused by the runner anyway).
  expect(masks).not.toContain('::add-mask::\n');
  expect(secrets.redact('sent X-K abc and X-One 7')).toBe('sent X-K *** and X-One ***');
});

it('keeps the minimum length for other values unless asked', () => {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  secrets.add('xyz');
  secrets.add('qrs', 1);
  stdout.mockRestore();
  expect(secrets.redact('xyz qrs')).toBe('xyz ***');
});
