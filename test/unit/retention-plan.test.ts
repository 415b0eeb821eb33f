import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetentionRules } from '../../src/inputs/settings.js';
import type { Backup } from '../../src/panel/types.js';
import { isoWeekKey, utcDayKey, utcMonthKey } from '../../src/retention/calendar.js';
import { compileNameMatcher } from '../../src/retention/name-match.js';
import { planRetention, planRotation } from '../../src/retention/plan.js';
import type { RetentionInput } from '../../src/retention/plan.js';

// Days, weeks and months are UTC whatever the machine's zone: run where local time is far from it
// (UTC+14), so that a calendar read in local time cannot pass on a UTC machine.
beforeEach(() => {
  vi.stubEnv('TZ', 'Pacific/Kiritimati');
});

type State = 'successful' | 'failed' | 'running';

function backup(uuid: string, createdAt: string, options: { name?: string; state?: State; locked?: boolean } = {}): Backup {
  const state = options.state ?? 'successful';
  return {
    uuid,
    name: options.name ?? `octo/site@${uuid}`,
    isSuccessful: state === 'successful',
    isLocked: options.locked ?? false,
    checksum: state === 'successful' ? `sha1:${'0'.repeat(40)}` : null,
    bytes: state === 'successful' ? 1024 : 0,
    createdAt,
    completedAt: state === 'running' ? null : createdAt,
    ignoredFiles: [],
    attributes: {},
  };
}

const noRules: RetentionRules = {
  keep: undefined,
  keepDaily: undefined,
  keepWeekly: undefined,
  keepMonthly: undefined,
  maxAgeMs: undefined,
  pruneFailed: false,
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const matchesSite = compileNameMatcher(['octo/site@*']);

function plan(backups: Backup[], rules: Partial<RetentionRules>, extra: Partial<RetentionInput> = {}) {
  return planRetention({
    backups,
    rules: { ...noRules, ...rules },
    matches: matchesSite,
    now: Date.parse('2026-03-01T12:00:00Z'),
    protectedUuids: new Set(),
    ...extra,
  });
}
const uuids = (backups: Backup[]): string[] => backups.map((b) => b.uuid);
const decisionOf = (result: ReturnType<typeof plan>, uuid: string) => {
  const decision = result.decisions.find((d) => d.backup.uuid === uuid);
  if (!decision) throw new Error(`no decision for ${uuid}`);
  return decision;
};

describe('calendar buckets (UTC)', () => {
  it('days, months and ISO weeks, including weeks that straddle a year', () => {
    expect(utcDayKey(Date.parse('2026-01-01T01:00:00+02:00'))).toBe('2025-12-31');
    expect(utcMonthKey(Date.parse('2026-01-01T01:00:00+02:00'))).toBe('2025-12');
    expect(isoWeekKey(Date.parse('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeekKey(Date.parse('2020-12-28T00:00:00Z'))).toBe('2020-W53');
    expect(isoWeekKey(Date.parse('2021-01-04T00:00:00Z'))).toBe('2021-W01');
    expect(isoWeekKey(Date.parse('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeekKey(Date.parse('2026-02-28T23:59:59Z'))).toBe('2026-W09');
    expect(isoWeekKey(Date.parse('2026-03-01T23:59:59-05:00'))).toBe('2026-W10'); // Monday 2 March in UTC
  });
});

describe('planRetention: keep', () => {
  const five = [1, 2, 3, 4, 5].map((d) => backup(`b${d}`, `2026-02-0${d}T10:00:00+00:00`));

  it('keeps the newest N successful matching backups and deletes the rest, oldest first', () => {
    const result = plan(five, { keep: 2 });
    expect(uuids(result.toDelete)).toEqual(['b1', 'b2', 'b3']);
    expect(uuids(result.decisions.map((d) => d.backup))).toEqual(['b5', 'b4', 'b3', 'b2', 'b1']);
    expect(decisionOf(result, 'b4').keptBy).toEqual(['keep']);
    expect(decisionOf(result, 'b5').protectedBy).toEqual(['newest-successful']);
    expect(result.remainingNonFailed).toBe(2);
  });

  it('counts locked backups among the newest but never deletes them', () => {
    const backups = five.map((b) => (b.uuid === 'b4' || b.uuid === 'b1' ? { ...b, isLocked: true } : b));
    const result = plan(backups, { keep: 2 });
    expect(uuids(result.toDelete)).toEqual(['b2', 'b3']);
    expect(decisionOf(result, 'b1')).toMatchObject({ delete: false, keptBy: [], protectedBy: ['locked'] });
  });

  it('counts only successful matching backups (running, failed and foreign ones are not among the newest)', () => {
    const backups = [
      ...five,
      backup('run', '2026-02-06T10:00:00Z', { state: 'running' }),
      backup('fail', '2026-02-07T10:00:00Z', { state: 'failed' }),
      backup('manual', '2026-02-08T10:00:00Z', { name: 'manual' }),
    ];
    const result = plan(backups, { keep: 2 });
    expect(uuids(result.toDelete)).toEqual(['b1', 'b2', 'b3']);
    expect(decisionOf(result, 'run').protectedBy).toEqual(['running']);
    expect(decisionOf(result, 'fail').protectedBy).toEqual(['failed-without-prune-failed']);
    expect(decisionOf(result, 'manual').protectedBy).toEqual(['not-matching']);
    expect(result.remainingNonFailed).toBe(2 + 2); // b4, b5, run, manual
  });

  it('with equal created_at the later entry in the panel order is the newer', () => {
    const a = backup('first', '2026-02-01T10:00:00+00:00');
    const b = backup('second', '2026-02-01T12:00:00+02:00'); // the same instant
    expect(uuids(plan([a, b], { keep: 1 }).toDelete)).toEqual(['first']);
    expect(uuids(plan([b, a], { keep: 1 }).toDelete)).toEqual(['second']);
  });
});

describe('planRetention: keep-daily / keep-weekly / keep-monthly (restic)', () => {
  it('keep-daily keeps the newest of each of the last N days that have backups', () => {
    const backups = [
      backup('d1', '2026-02-01T08:00:00Z'),
      backup('d3-early', '2026-02-03T08:00:00Z'),
      backup('d3-late', '2026-02-03T20:00:00Z'),
      // no backups on 4 and 5 February: those days do not count
      backup('d6-early', '2026-02-06T01:00:00Z'),
      backup('d6-late', '2026-02-06T23:00:00Z'),
    ];
    const result = plan(backups, { keepDaily: 2 });
    expect(decisionOf(result, 'd6-late').keptBy).toEqual(['keep-daily']);
    expect(decisionOf(result, 'd3-late').keptBy).toEqual(['keep-daily']);
    expect(uuids(result.toDelete)).toEqual(['d1', 'd3-early', 'd6-early']);
  });

  it('keep-weekly uses ISO weeks in UTC (a week can straddle the new year)', () => {
    const backups = [
      backup('w52', '2020-12-21T10:00:00Z'), // 2020-W52
      backup('w53-dec', '2020-12-31T10:00:00Z'), // 2020-W53 (Thursday)
      backup('w53-jan', '2021-01-03T10:00:00Z'), // 2020-W53 (Sunday)
      backup('w01', '2021-01-04T10:00:00Z'), // 2021-W01 (Monday)
    ];
    const result = plan(backups, { keepWeekly: 2 });
    expect(uuids(result.toDelete)).toEqual(['w52', 'w53-dec']);
    expect(decisionOf(result, 'w53-jan').keptBy).toEqual(['keep-weekly']);
  });

  it('keep-monthly keeps the newest of each of the last N months', () => {
    const backups = [
      backup('nov', '2025-11-30T10:00:00Z'),
      backup('dec-1', '2025-12-01T10:00:00Z'),
      backup('dec-2', '2025-12-31T10:00:00Z'),
      backup('feb', '2026-02-14T10:00:00Z'),
    ];
    const result = plan(backups, { keepMonthly: 2 });
    expect(uuids(result.toDelete)).toEqual(['nov', 'dec-1']);
  });

  it('buckets are UTC: created_at is read with its offset', () => {
    const backups = [
      backup('dec31-morning', '2025-12-31T10:00:00+00:00'),
      backup('dec31-late', '2026-01-01T01:00:00+02:00'), // 2025-12-31T23:00Z
      backup('jan1', '2025-12-31T22:00:00-05:00'), // 2026-01-01T03:00Z
    ];
    const daily = plan(backups, { keepDaily: 2 });
    expect(decisionOf(daily, 'dec31-late').keptBy).toEqual(['keep-daily']);
    expect(uuids(daily.toDelete)).toEqual(['dec31-morning']);
    const monthly = plan(backups, { keepMonthly: 2 });
    expect(decisionOf(monthly, 'dec31-late').keptBy).toEqual(['keep-monthly']);
    expect(uuids(monthly.toDelete)).toEqual(['dec31-morning']);
  });

  it('rules combine: a backup is deleted only when no rule keeps it', () => {
    const backups = [
      backup('jan', '2026-01-10T10:00:00Z'),
      backup('feb-1', '2026-02-10T10:00:00Z'),
      backup('feb-2', '2026-02-11T10:00:00Z'),
      backup('feb-3', '2026-02-12T10:00:00Z'),
      backup('feb-4', '2026-02-12T11:00:00Z'),
    ];
    const result = plan(backups, { keep: 1, keepDaily: 2, keepMonthly: 2 });
    expect(decisionOf(result, 'feb-4').keptBy).toEqual(['keep', 'keep-daily', 'keep-monthly']);
    expect(decisionOf(result, 'feb-2').keptBy).toEqual(['keep-daily']);
    expect(decisionOf(result, 'jan').keptBy).toEqual(['keep-monthly']);
    expect(uuids(result.toDelete)).toEqual(['feb-1', 'feb-3']);
  });
});

describe('planRetention: max-age', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('keeps backups younger than max-age; exactly max-age old is not younger', () => {
    const backups = [
      backup('old', new Date(now - 10 * DAY).toISOString()),
      backup('edge', new Date(now - 7 * DAY).toISOString()),
      backup('young', new Date(now - 7 * DAY + 1000).toISOString()),
      backup('newest', new Date(now - HOUR).toISOString()),
    ];
    const result = plan(backups, { maxAgeMs: 7 * DAY });
    expect(uuids(result.toDelete)).toEqual(['old', 'edge']);
    expect(decisionOf(result, 'young').keptBy).toEqual(['max-age']);
  });

  it('ages honour the offset of created_at', () => {
    // 2026-03-01T13:00:00+02:00 is 11:00Z: one hour old, not two hours in the future.
    const b = backup('offset', '2026-03-01T13:00:00+02:00');
    const older = backup('older', '2026-03-01T10:30:00Z');
    const result = plan([older, b], { maxAgeMs: HOUR + 1 });
    expect(decisionOf(result, 'offset').keptBy).toEqual(['max-age']);
    expect(uuids(result.toDelete)).toEqual(['older']);
  });
});

describe('planRetention: floors and protections', () => {
  const old = (uuid: string, day: number, options?: Parameters<typeof backup>[2]) =>
    backup(uuid, `2025-06-${String(day).padStart(2, '0')}T10:00:00Z`, options);

  it('with no keep rule no successful backup is deleted', () => {
    const backups = [old('a', 1), old('b', 2), old('c', 3, { state: 'failed' })];
    const result = plan(backups, {});
    expect(result.toDelete).toEqual([]);
    expect(result.hasKeepRule).toBe(false);
    expect(decisionOf(result, 'a').protectedBy).toEqual(['no-rule']);
    expect(decisionOf(result, 'c').protectedBy).toEqual(['failed-without-prune-failed']);
  });

  it('prune-failed deletes failed, unlocked, matching backups whatever the rules', () => {
    const backups = [
      old('ok', 1),
      old('failed', 2, { state: 'failed' }),
      old('failed-locked', 3, { state: 'failed', locked: true }),
      old('failed-foreign', 4, { state: 'failed', name: 'manual' }),
      old('running', 5, { state: 'running' }),
      old('running-locked', 6, { state: 'running', locked: true }),
    ];
    const result = plan(backups, { pruneFailed: true });
    expect(uuids(result.toDelete)).toEqual(['failed']);
    expect(decisionOf(result, 'failed-locked').protectedBy).toEqual(['locked']);
    expect(decisionOf(result, 'failed-foreign').protectedBy).toEqual(['not-matching']);
    expect(decisionOf(result, 'running-locked').protectedBy).toEqual(['locked', 'running']);
    expect(decisionOf(result, 'ok').protectedBy).toEqual(['newest-successful', 'no-rule']);
    expect(result.remainingNonFailed).toBe(3);
  });

  it('the newest successful matching backup stays even when every rule would delete it', () => {
    const result = plan([old('a', 1), old('b', 2)], { maxAgeMs: HOUR });
    expect(uuids(result.toDelete)).toEqual(['a']);
    expect(decisionOf(result, 'b')).toMatchObject({ delete: false, keptBy: [], protectedBy: ['newest-successful'] });
  });

  it('the floor is the newest successful matching one even when it is locked (it does not move down)', () => {
    const result = plan([old('a', 1), old('b', 2), old('c', 3, { locked: true })], { maxAgeMs: HOUR });
    expect(decisionOf(result, 'c').protectedBy).toEqual(['locked', 'newest-successful']);
    expect(uuids(result.toDelete)).toEqual(['a', 'b']);
  });

  it('newer running, failed or non-matching backups do not take the floor', () => {
    const backups = [
      old('a', 1),
      old('b', 2),
      old('running', 3, { state: 'running' }),
      old('failed', 4, { state: 'failed' }),
      old('foreign', 5, { name: 'other/repo@x' }),
    ];
    const result = plan(backups, { maxAgeMs: HOUR });
    expect(decisionOf(result, 'b').protectedBy).toEqual(['newest-successful']);
    expect(uuids(result.toDelete)).toEqual(['a']);
    expect(decisionOf(result, 'foreign').protectedBy).toEqual(['not-matching']);
  });

  it('protected uuids (the backup this run created) are never deleted', () => {
    const result = plan([old('a', 1), old('b', 2), old('c', 3)], { maxAgeMs: HOUR }, { protectedUuids: new Set(['a']) });
    expect(decisionOf(result, 'a').protectedBy).toEqual(['this-run']);
    expect(uuids(result.toDelete)).toEqual(['b']);
  });

  it('the backup this run created counts among the newest', () => {
    const created = backup('new', '2026-03-01T11:59:00Z');
    const result = plan([old('a', 1), old('b', 2), created], { keep: 2 }, { protectedUuids: new Set(['new']) });
    expect(decisionOf(result, 'new').protectedBy).toEqual(['this-run', 'newest-successful']);
    expect(uuids(result.toDelete)).toEqual(['a']);
  });

  it('a successful backup whose created_at does not parse is never deleted', () => {
    const result = plan([old('a', 1), backup('weird', 'yesterday'), old('b', 2)], { keep: 1 });
    expect(decisionOf(result, 'weird').protectedBy).toEqual(['unknown-created-at']);
    expect(uuids(result.toDelete)).toEqual(['a']);
  });
});

describe('planRetention: dry run (pretend)', () => {
  const backups = [
    backup('a', '2026-02-01T10:00:00Z'),
    backup('b', '2026-02-02T10:00:00Z'),
    backup('c', '2026-02-03T10:00:00Z'),
  ];
  const pretend = { name: 'octo/site@abc1234 run 1.1', createdAt: '2026-03-01T12:00:00Z' };

  it('counts the backup it would create among the newest, without a decision for it', () => {
    const result = plan(backups, { keep: 2 }, { pretend });
    expect(uuids(result.toDelete)).toEqual(['a', 'b']);
    expect(result.decisions).toHaveLength(3);
    expect(result.pretendKeptBy).toEqual(['keep']);
    expect(result.remainingNonFailed).toBe(2); // c and the pretend one
  });

  it('takes the floor and its day, as the real backup would', () => {
    const sameDay = [...backups, backup('d', '2026-03-01T08:00:00Z')];
    const result = plan(sameDay, { keepDaily: 2 }, { pretend });
    expect(decisionOf(result, 'c').keptBy).toEqual(['keep-daily']);
    expect(uuids(result.toDelete)).toEqual(['a', 'b', 'd']);
    const aged = plan(backups, { maxAgeMs: HOUR }, { pretend });
    expect(uuids(aged.toDelete)).toEqual(['a', 'b', 'c']);
  });

  it('a name retention-match does not select counts no more than the real backup would', () => {
    const result = plan(backups, { keep: 2 }, { pretend: { ...pretend, name: 'manual' } });
    expect(uuids(result.toDelete)).toEqual(['a']);
    expect(result.pretendKeptBy).toBeUndefined();
    expect(result.remainingNonFailed).toBe(3);
  });
});

describe('planRotation', () => {
  const none = new Set<string>();
  const rotate = (backups: Backup[], options: { protectedUuids?: Set<string>; backupLimit?: number | null } = {}) =>
    planRotation({ backups, matches: matchesSite, protectedUuids: options.protectedUuids ?? none, backupLimit: options.backupLimit ?? 5 });

  it('picks the oldest successful, unlocked, matching, unprotected backup', () => {
    const backups = [
      backup('running', '2026-01-01T00:00:00Z', { state: 'running' }),
      backup('failed', '2026-01-02T00:00:00Z', { state: 'failed' }),
      backup('locked', '2026-01-03T00:00:00Z', { locked: true }),
      backup('foreign', '2026-01-04T00:00:00Z', { name: 'manual' }),
      backup('mine', '2026-01-05T00:00:00Z'),
      backup('oldest', '2026-01-05T02:00:00+05:00'), // 2026-01-04T21:00Z: older than the one before
      backup('newest', '2026-01-07T00:00:00Z'),
    ];
    expect(rotate(backups).victim?.uuid).toBe('oldest');
    expect(rotate(backups, { protectedUuids: new Set(['oldest']) }).victim?.uuid).toBe('mine');
  });

  it('keeps the newest successful matching backup, as retention does, unless the limit is 1', () => {
    const only = backup('only', '2026-01-01T00:00:00Z');
    expect(rotate([only], { backupLimit: 1 })).toEqual({ victim: only });
    expect(rotate([only], { backupLimit: 2 })).toEqual({ victim: undefined, reason: 'only-newest' });
    expect(rotate([only], { backupLimit: null })).toEqual({ victim: undefined, reason: 'only-newest' });
    const older = backup('older', '2025-12-31T00:00:00Z', { locked: true });
    expect(rotate([older, only], { backupLimit: 2 }).reason).toBe('only-newest');
    // A locked newest one holds the floor: the unlocked older one may go.
    const lockedNewest = backup('locked-newest', '2026-01-02T00:00:00Z', { locked: true });
    expect(rotate([only, lockedNewest], { backupLimit: 2 }).victim).toBe(only);
  });

  it('never picks a backup whose created_at cannot be read, which retention keeps too', () => {
    const undated = backup('undated', 'garbage');
    const old = backup('old', '2026-01-01T00:00:00Z');
    const fresh = backup('fresh', '2026-01-03T00:00:00Z');
    expect(rotate([undated, old, fresh]).victim).toBe(old);
    expect(rotate([undated, fresh]).reason).toBe('only-newest');
    expect(rotate([undated]).reason).toBe('all-protected');
    expect(plan([undated, old, fresh], { keep: 1 }).toDelete).toEqual([old]);
  });

  it('with equal created_at the earlier entry is the older', () => {
    const a = backup('a', '2026-01-01T00:00:00Z');
    const b = backup('b', '2026-01-01T00:00:00Z');
    const c = backup('c', '2026-01-02T00:00:00Z');
    expect(rotate([a, b, c]).victim).toBe(a);
    expect(rotate([b, a, c]).victim).toBe(b);
  });

  it('says why nothing may be deleted', () => {
    expect(rotate([])).toEqual({ victim: undefined, reason: 'none-matching' });
    expect(rotate([backup('m', '2026-01-01T00:00:00Z', { name: 'manual' })]).reason).toBe('none-matching');
    expect(
      rotate([backup('r', '2026-01-01T00:00:00Z', { state: 'running' }), backup('f', '2026-01-02T00:00:00Z', { state: 'failed' })]).reason,
    ).toBe('none-successful');
    expect(rotate([backup('l', '2026-01-01T00:00:00Z', { locked: true })]).reason).toBe('all-locked');
    const newest = backup('n', '2026-01-02T00:00:00Z');
    expect(rotate([backup('p', '2026-01-01T00:00:00Z'), newest], { protectedUuids: new Set(['p']) }).reason).toBe('only-newest');
    expect(rotate([backup('p', '2026-01-01T00:00:00Z'), newest], { protectedUuids: new Set(['p', 'n']) }).reason).toBe('all-protected');
  });
});
