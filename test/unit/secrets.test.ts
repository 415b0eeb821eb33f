import { expect, it, vi } from 'vitest';
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
