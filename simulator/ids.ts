// Random identifiers, keys and hashes.
import { createHash, randomInt, randomUUID } from 'node:crypto';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomString(length: number, alphabet: string = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function uuidV4(): string {
  return randomUUID();
}

export function sha1Hex(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

export function md5Hex(data: string): string {
  return createHash('md5').update(data).digest('hex');
}

// app/Models/ApiKey.php: a 16-character identifier (type prefix + random) and a 32-character secret.
export const IDENTIFIER_LENGTH = 16;
export const SECRET_LENGTH = 32;

export function makeKey(prefix: string): { identifier: string; secret: string } {
  const head = prefix.slice(0, IDENTIFIER_LENGTH);
  return {
    identifier: head + randomString(IDENTIFIER_LENGTH - head.length),
    secret: randomString(SECRET_LENGTH),
  };
}
