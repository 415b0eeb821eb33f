/**
 * Parsers for the value forms the inputs share. Each returns the parsed value or throws a
 * `ValueError` whose message describes the accepted form; the caller adds the input's name.
 */
export class ValueError extends Error {}

/** Prefixes of the panels' API keys: Pterodactyl's client and application keys, Pelican's. */
const KEY_LIKE = /^(ptlc|ptla|pacc|papp)_/i;

/**
 * An input's value quoted for an error message, unless it may be a secret put in the wrong input
 * (an API key in server-id, say): a key's prefix, or a long value without spaces. Credentials in
 * a URL (`//user:pass@`, even with a `/` in the password) are blanked.
 */
export function shown(raw: string): string {
  const value = raw.trim();
  if (KEY_LIKE.test(value) || (value.length > 40 && !/[\s/]/.test(value))) {
    return `(a value of ${value.length} characters, not repeated here in case it is a key)`;
  }
  // Up to the last @: a password may hold a / (unencoded), which ends no user part here.
  return `'${raw.replace(/\/\/\S*@/g, '//***@')}'`;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)([smhd])?$/;

/**
 * A whole number of seconds (`900`) or a whole number with `s`, `m`, `h` or `d` (`15m`).
 * `unitRequired` refuses a bare number; `minMs` is the smallest accepted value.
 */
export function parseDuration(raw: string, opts: { unitRequired?: boolean; minMs?: number; maxMs?: number } = {}): number {
  const match = DURATION.exec(raw);
  const form = opts.unitRequired
    ? 'a whole number with a unit: s, m, h or d (e.g. 30d, 12h)'
    : 'whole seconds (e.g. 900) or a whole number with s, m, h or d (e.g. 90s, 15m, 2h)';
  if (!match) throw new ValueError(`expected ${form}`);
  const unit = match[2] as keyof typeof UNIT_MS | undefined;
  if (!unit && opts.unitRequired) throw new ValueError(`expected ${form}`);
  const ms = Number(match[1]) * UNIT_MS[unit ?? 's'];
  if (!Number.isSafeInteger(ms)) throw new ValueError(`is too large; expected ${form}`);
  const minMs = opts.minMs ?? 1_000;
  if (ms < minMs) throw new ValueError(`must be at least ${formatDurationShort(minMs)}; expected ${form}`);
  if (opts.maxMs !== undefined && ms > opts.maxMs) throw new ValueError(`must be at most ${formatDurationShort(opts.maxMs)}; expected ${form}`);
  return ms;
}

/** A whole number of at least `min` (and at most `max`). */
export function parseWholeNumber(raw: string, min = 1, max = 1_000_000): number {
  if (!/^\d+$/.test(raw)) throw new ValueError(`expected a whole number of at least ${min}`);
  const value = Number(raw);
  if (value < min) throw new ValueError(`expected a whole number of at least ${min}`);
  if (value > max) throw new ValueError(`expected a whole number of at most ${max}`);
  return value;
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/** The YAML 1.2 core-schema spellings that `core.getBooleanInput` accepts; empty gives the default. */
export function parseBoolean(raw: string, defaultValue: boolean): boolean {
  if (raw === '') return defaultValue;
  if (TRUE.includes(raw)) return true;
  if (FALSE.includes(raw)) return false;
  throw new ValueError('expected true or false (also True, TRUE, False, FALSE)');
}

/** Non-blank lines of a multi-line input, without carriage returns. */
export function parseLines(raw: string): string[] {
  return raw
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** `90s`, `15m`, `2h`, `3d` — the shortest exact form of a duration. */
export function formatDurationShort(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
