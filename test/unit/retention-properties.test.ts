import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetentionRules } from '../../src/inputs/settings.js';
import type { Backup } from '../../src/panel/types.js';
import { isoWeek, isoWeekKey, utcDayKey, utcMonthKey } from '../../src/retention/calendar.js';
import { compileNameMatcher } from '../../src/retention/name-match.js';
import type { NameMatcher } from '../../src/retention/name-match.js';
import { planRetention, planRotation } from '../../src/retention/plan.js';
import type { KeepReason, RetentionInput, RetentionPlan } from '../../src/retention/plan.js';

// Days, weeks and months are UTC whatever the machine's zone: run where local time is far from it
// (UTC+14), so that a calendar read in local time cannot pass on a UTC machine.
beforeEach(() => {
  vi.stubEnv('TZ', 'Pacific/Kiritimati');
});

// Property tests for interface.md "Retention", checked against a straightforward oracle written
// independently of src/retention/plan.ts (grouping instead of restic's walk, arithmetic buckets).

const RUNS = 2_000;
const SECOND = 1000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;
const START = Date.parse('2024-03-01T00:00:00Z');
const SPAN = 730 * DAY; // about two years

const NAMES = ['octo/site@a1 run 1.1', 'octo/site@b2 run 2.1', 'octo/other@c3 run 3.1', 'manual', 'nightly'];
const MATCH_LINES = [['octo/site@*'], ['*'], ['octo/*', '!octo/other@*'], ['nightly', 'manual'], ['!manual']];
/** Minutes east of UTC, as panels in various timezones write them. */
const OFFSETS = [0, 120, -330, 330, 60, -300, 840, -720, 545, -210];
type State = 'successful' | 'failed' | 'running';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `created_at` as a panel whose timezone is `offset` minutes east of UTC writes it. */
function withOffset(ms: number, offset: number): string {
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

interface Scenario {
  backups: Backup[];
  /** The true instant of each backup (independent of parsing `created_at`). */
  instants: number[];
  rules: RetentionRules;
  matchLines: string[];
  matches: NameMatcher;
  now: number;
  protectedUuids: Set<string>;
  pretend: { name: string; createdAt: string; at: number } | undefined;
}

const optionalCount = fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined, freq: 2 });
const rulesArb: fc.Arbitrary<RetentionRules> = fc.record({
  keep: optionalCount,
  keepDaily: optionalCount,
  keepWeekly: optionalCount,
  keepMonthly: optionalCount,
  maxAgeMs: fc.option(
    fc.integer({ min: 1, max: 24 * 400 }).map((hours) => hours * HOUR),
    { nil: undefined, freq: 2 },
  ),
  pruneFailed: fc.boolean(),
});

const backupSpecArb = fc.record({
  // Dense recent history (several a day), sparse older history, and copies of earlier instants.
  at: fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: 0, max: SPAN / SECOND }).map((s) => START + s * SECOND) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: (40 * DAY) / SECOND }).map((s) => START + SPAN - 40 * DAY + s * SECOND) },
  ),
  duplicateOf: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  offset: fc.constantFrom(...OFFSETS),
  name: fc.constantFrom(...NAMES),
  state: fc.constantFrom<State>('successful', 'successful', 'successful', 'failed', 'running'),
  locked: fc.boolean(),
});

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    specs: fc.array(backupSpecArb, { maxLength: 30, size: 'max' }),
    rules: rulesArb,
    matchLines: fc.constantFrom(...MATCH_LINES),
    now: fc.integer({ min: (-30 * DAY) / SECOND, max: (10 * DAY) / SECOND }).map((d) => START + SPAN + d * SECOND),
    pretend: fc.option(fc.record({ name: fc.constantFrom(...NAMES), offset: fc.constantFrom(...OFFSETS) }), { nil: undefined, freq: 2 }),
    protectMask: fc.array(fc.integer({ min: 0, max: 5 }).map((x) => x === 0), { minLength: 30, maxLength: 30 }),
  })
  .map(({ specs, rules, matchLines, now, pretend, protectMask }) => {
    const instants: number[] = [];
    const backups: Backup[] = specs.map((spec, index) => {
      const at = spec.duplicateOf !== null && index > 0 ? instants[spec.duplicateOf % index]! : spec.at;
      instants.push(at);
      const createdAt = withOffset(at, spec.offset);
      return {
        uuid: `uuid-${index}`,
        name: spec.name,
        isSuccessful: spec.state === 'successful',
        // A failed backup reported by wings is unlocked, a pruned one keeps its lock (panel-api.md §4.2).
        isLocked: spec.locked,
        checksum: spec.state === 'successful' ? `sha1:${'a'.repeat(40)}` : null,
        bytes: spec.state === 'successful' ? 100 : 0,
        createdAt,
        completedAt: spec.state === 'running' ? null : createdAt,
        ignoredFiles: [],
        attributes: {},
      };
    });
    const protectedUuids = new Set(backups.filter((_, i) => protectMask[i] === true).map((b) => b.uuid));
    return {
      backups,
      instants,
      rules,
      matchLines,
      matches: compileNameMatcher(matchLines),
      now,
      protectedUuids,
      pretend: pretend ? { name: pretend.name, createdAt: withOffset(now, pretend.offset), at: now } : undefined,
    };
  });

const stateOf = (b: Backup): State => (b.completedAt === null ? 'running' : b.isSuccessful ? 'successful' : 'failed');

function run(s: Scenario): RetentionPlan {
  const input: RetentionInput = { backups: s.backups, rules: s.rules, matches: s.matches, now: s.now, protectedUuids: s.protectedUuids };
  if (s.pretend) input.pretend = { name: s.pretend.name, createdAt: s.pretend.createdAt };
  return planRetention(input);
}

// ---- The oracle ---------------------------------------------------------------------------------

/** Independent buckets: whole UTC days since the epoch, Monday-based weeks, months since year 0. */
const dayOf = (ms: number): number => Math.floor(ms / DAY);
const weekOf = (ms: number): number => Math.floor((dayOf(ms) + 3) / 7); // 1970-01-01 was a Thursday
const monthOf = (ms: number): number => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();

interface Candidate {
  /** Index in the input, or -1 for the pretend backup. */
  index: number;
  at: number;
  /** Position for equal instants: the later in the panel's order is the newer; the pretend one is last. */
  order: number;
}

interface Oracle {
  /** Successful matching backups (and the pretend one when its name matches), newest first. */
  candidates: Candidate[];
  keptBy: Map<number, Set<KeepReason>>;
  newest: number | undefined;
  hasKeepRule: boolean;
  shouldDelete: (index: number) => boolean;
}

function newestFirst(a: Candidate, b: Candidate): number {
  return b.at - a.at || b.order - a.order;
}

/** restic: the newest backup of each bucket, for the N newest buckets. */
function resticKeep(candidates: Candidate[], n: number | undefined, bucket: (ms: number) => number): Set<number> {
  if (n === undefined) return new Set();
  const newestPerBucket = new Map<number, Candidate>();
  for (const c of candidates) {
    const current = newestPerBucket.get(bucket(c.at));
    if (!current || newestFirst(c, current) < 0) newestPerBucket.set(bucket(c.at), c);
  }
  return new Set([...newestPerBucket.values()].sort(newestFirst).slice(0, n).map((c) => c.index));
}

function oracle(s: Scenario): Oracle {
  const candidates: Candidate[] = [];
  s.backups.forEach((b, index) => {
    if (stateOf(b) === 'successful' && s.matches(b.name)) candidates.push({ index, at: s.instants[index]!, order: index });
  });
  if (s.pretend && s.matches(s.pretend.name)) candidates.push({ index: -1, at: s.pretend.at, order: s.backups.length });
  candidates.sort(newestFirst);

  const keptBy = new Map<number, Set<KeepReason>>();
  const add = (indexes: Iterable<number>, reason: KeepReason): void => {
    for (const i of indexes) keptBy.set(i, (keptBy.get(i) ?? new Set()).add(reason));
  };
  const { rules } = s;
  if (rules.keep !== undefined) add(candidates.slice(0, rules.keep).map((c) => c.index), 'keep');
  add(resticKeep(candidates, rules.keepDaily, dayOf), 'keep-daily');
  add(resticKeep(candidates, rules.keepWeekly, weekOf), 'keep-weekly');
  add(resticKeep(candidates, rules.keepMonthly, monthOf), 'keep-monthly');
  const maxAge = rules.maxAgeMs;
  if (maxAge !== undefined) add(candidates.filter((c) => s.now - c.at < maxAge).map((c) => c.index), 'max-age');

  const hasKeepRule = [rules.keep, rules.keepDaily, rules.keepWeekly, rules.keepMonthly, rules.maxAgeMs].some((r) => r !== undefined);
  const newest = candidates[0]?.index;
  const shouldDelete = (index: number): boolean => {
    const b = s.backups[index]!;
    if (!s.matches(b.name) || b.isLocked || s.protectedUuids.has(b.uuid)) return false;
    const state = stateOf(b);
    if (state === 'failed') return rules.pruneFailed;
    if (state === 'running') return false;
    return hasKeepRule && index !== newest && !keptBy.has(index);
  };
  return { candidates, keptBy, newest, hasKeepRule, shouldDelete };
}

const indexOf = (s: Scenario, b: Backup): number => s.backups.indexOf(b);

// ---- Properties ---------------------------------------------------------------------------------

describe('planRetention properties', () => {
  it('every deleted backup is deletable: successful or failed with prune-failed, unlocked, completed, matching, unprotected, not the newest', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const plan = run(s);
        const { newest } = oracle(s);
        for (const b of plan.toDelete) {
          const state = stateOf(b);
          expect(state === 'successful' || (state === 'failed' && s.rules.pruneFailed)).toBe(true);
          expect(b.isLocked).toBe(false);
          expect(b.completedAt).not.toBeNull();
          expect(s.matches(b.name)).toBe(true);
          expect(s.protectedUuids.has(b.uuid)).toBe(false);
          expect(indexOf(s, b)).not.toBe(newest);
        }
        // Without a dry run, some successful matching backup always survives when there was one.
        const successfulMatching = s.backups.filter((b) => stateOf(b) === 'successful' && s.matches(b.name));
        if (!s.pretend && successfulMatching.length > 0) {
          expect(successfulMatching.some((b) => !plan.toDelete.includes(b))).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('deletes exactly what the oracle deletes, and reports the keeping rules exactly', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const plan = run(s);
        const o = oracle(s);
        for (const d of plan.decisions) {
          const i = indexOf(s, d.backup);
          expect(d.delete).toBe(o.shouldDelete(i));
          expect(new Set(d.keptBy)).toEqual(o.keptBy.get(i) ?? new Set());
          expect(d.keptBy).toHaveLength(new Set(d.keptBy).size);
          // A rule-kept backup is never deleted; a deleted one has neither keeper nor protection.
          if (d.keptBy.length > 0 || d.protectedBy.length > 0) expect(d.delete).toBe(false);
          else expect(d.delete).toBe(true);
        }
        expect(new Set(plan.pretendKeptBy ?? [])).toEqual(o.keptBy.get(-1) ?? new Set());
        expect(plan.hasKeepRule).toBe(o.hasKeepRule);
      }),
      { numRuns: RUNS },
    );
  });

  it('with none of keep, keep-*, max-age set, no successful backup is deleted', () => {
    const noKeepRules = scenarioArb.map((s) => ({
      ...s,
      rules: { ...s.rules, keep: undefined, keepDaily: undefined, keepWeekly: undefined, keepMonthly: undefined, maxAgeMs: undefined },
    }));
    fc.assert(
      fc.property(noKeepRules, (s) => {
        const plan = run(s);
        expect(plan.toDelete.every((b) => stateOf(b) === 'failed')).toBe(true);
        if (!s.rules.pruneFailed) expect(plan.toDelete).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('keep N keeps at least the min(N, count) newest successful matching backups (the dry-run one counting)', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 10 }), (s0, keep) => {
        const s = { ...s0, rules: { ...s0.rules, keep } };
        const plan = run(s);
        const { candidates } = oracle(s);
        const newestN = candidates.slice(0, keep);
        expect(newestN).toHaveLength(Math.min(keep, candidates.length));
        for (const c of newestN) {
          if (c.index === -1) continue;
          expect(plan.toDelete).not.toContain(s.backups[c.index]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('keep-daily / -weekly / -monthly keep exactly the restic set', () => {
    const reasons = [
      ['keep-daily', 'keepDaily', dayOf],
      ['keep-weekly', 'keepWeekly', weekOf],
      ['keep-monthly', 'keepMonthly', monthOf],
    ] as const;
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 12 }), (s0, which, n) => {
        const [reason, field, bucket] = reasons[which]!;
        const s = { ...s0, rules: { ...s0.rules, [field]: n } };
        const plan = run(s);
        const expected = resticKeep(oracle(s).candidates, n, bucket);
        const actual = new Set(plan.decisions.filter((d) => d.keptBy.includes(reason)).map((d) => indexOf(s, d.backup)));
        if (plan.pretendKeptBy?.includes(reason)) actual.add(-1);
        expect(actual).toEqual(expected);
        for (const i of expected) if (i >= 0) expect(plan.toDelete).not.toContain(s.backups[i]);
        // N buckets (or every bucket there is), one backup each.
        const buckets = new Set(oracle(s).candidates.map((c) => bucket(c.at)));
        expect(expected.size).toBe(Math.min(n, buckets.size));
      }),
      { numRuns: RUNS },
    );
  });

  it('max-age keeps every successful matching backup younger than max-age', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 24 * 800 }), (s0, hours) => {
        const s = { ...s0, rules: { ...s0.rules, maxAgeMs: hours * HOUR } };
        const plan = run(s);
        for (const d of plan.decisions) {
          const i = indexOf(s, d.backup);
          const young = stateOf(d.backup) === 'successful' && s.matches(d.backup.name) && s.now - s.instants[i]! < hours * HOUR;
          expect(d.keptBy.includes('max-age')).toBe(young);
          if (young) expect(d.delete).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('decisions cover each backup once, newest first; toDelete runs oldest first', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const plan = run(s);
        const seen = plan.decisions.map((d) => indexOf(s, d.backup));
        expect([...seen].sort((a, b) => a - b)).toEqual(s.backups.map((_, i) => i));
        for (let k = 1; k < seen.length; k++) {
          const [prev, cur] = [seen[k - 1]!, seen[k]!];
          expect(s.instants[prev]! > s.instants[cur]! || (s.instants[prev] === s.instants[cur] && prev > cur)).toBe(true);
        }
        const order = plan.toDelete.map((b) => indexOf(s, b));
        for (let k = 1; k < order.length; k++) {
          const [prev, cur] = [order[k - 1]!, order[k]!];
          expect(s.instants[prev]! < s.instants[cur]! || (s.instants[prev] === s.instants[cur] && prev < cur)).toBe(true);
        }
        expect(new Set(plan.toDelete)).toEqual(new Set(plan.decisions.filter((d) => d.delete).map((d) => d.backup)));
      }),
      { numRuns: RUNS },
    );
  });

  it('remainingNonFailed is running + successful minus deletions, plus the dry-run one', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const plan = run(s);
        const nonFailed = s.backups.filter((b) => stateOf(b) !== 'failed').length;
        const deleted = plan.toDelete.filter((b) => stateOf(b) === 'successful').length;
        expect(plan.remainingNonFailed).toBe(nonFailed - deleted + (s.pretend ? 1 : 0));
      }),
      { numRuns: RUNS },
    );
  });

  it('does not depend on the offset a panel writes created_at with', () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.constantFrom(...OFFSETS), { minLength: 30, maxLength: 30 }), (s, offsets) => {
        const shifted = s.backups.map((b, i) => {
          const createdAt = withOffset(s.instants[i]!, offsets[i]!);
          return { ...b, createdAt, completedAt: b.completedAt === null ? null : createdAt };
        });
        const a = run(s).toDelete.map((b) => b.uuid);
        const b = run({ ...s, backups: shifted }).toDelete.map((x) => x.uuid);
        expect(b).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('calendar properties', () => {
  const instant = fc.integer({ min: Date.parse('1999-01-01T00:00:00Z'), max: Date.parse('2040-12-31T23:59:59Z') });

  it('a created_at with an offset falls in the bucket of its UTC instant', () => {
    expect(utcDayKey(Date.parse('2026-01-01T01:00:00+02:00'))).toBe('2025-12-31');
    fc.assert(
      fc.property(instant, fc.constantFrom(...OFFSETS), (ms, offset) => {
        const parsed = Date.parse(withOffset(ms, offset));
        expect(parsed).toBe(Math.floor(ms / SECOND) * SECOND);
        expect(utcDayKey(parsed)).toBe(new Date(parsed).toISOString().slice(0, 10));
        expect(utcMonthKey(parsed)).toBe(new Date(parsed).toISOString().slice(0, 7));
      }),
      { numRuns: RUNS },
    );
  });

  it('ISO weeks: the same key exactly within one Monday-to-Sunday week, numbered as ISO 8601 says', () => {
    const p = (y: number): number => (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) % 7;
    const weeksIn = (y: number): number => (p(y) === 4 || p(y - 1) === 3 ? 53 : 52);
    fc.assert(
      fc.property(instant, fc.integer({ min: -8 * DAY, max: 8 * DAY }), (a, delta) => {
        const b = a + delta; // near instants, so that weeks straddling a new year come up
        expect(isoWeekKey(a) === isoWeekKey(b)).toBe(weekOf(a) === weekOf(b));
        // Wikipedia's ordinal-date algorithm.
        const date = new Date(a);
        const year = date.getUTCFullYear();
        const ordinal = dayOf(a) - dayOf(Date.UTC(year, 0, 1)) + 1;
        const weekday = ((date.getUTCDay() + 6) % 7) + 1;
        let week = Math.floor((ordinal - weekday + 10) / 7);
        let weekYear = year;
        if (week < 1) [weekYear, week] = [year - 1, weeksIn(year - 1)];
        else if (week > weeksIn(year)) [weekYear, week] = [year + 1, 1];
        expect(isoWeek(a)).toEqual({ year: weekYear, week });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('planRotation properties', () => {
  it('the victim is the oldest successful, unlocked, matching, unprotected, dated backup, never the newest unless the limit is 1; otherwise a reason', () => {
    const limitArb = fc.option(fc.integer({ min: 1, max: 5 }), { nil: null });
    const undatedArb = fc.array(fc.integer({ min: 0, max: 7 }).map((x) => x === 0), { minLength: 30, maxLength: 30 });
    fc.assert(
      fc.property(scenarioArb, limitArb, undatedArb, (s, backupLimit, undatedMask) => {
        // Some created_at values the client cannot read: those are never chosen (their age is unknown).
        const backups = s.backups.map((b, i) => (undatedMask[i] ? { ...b, createdAt: 'not a date' } : b));
        const result = planRotation({ backups, matches: s.matches, protectedUuids: s.protectedUuids, backupLimit });
        const newestFirst = (x: number, y: number) => s.instants[y]! - s.instants[x]! || y - x;
        const successful = backups.map((_, i) => i).filter((i) => stateOf(backups[i]!) === 'successful' && s.matches(backups[i]!.name));
        const newest = backupLimit === 1 ? undefined : successful.filter((i) => !undatedMask[i]).sort(newestFirst)[0];
        const free = successful.filter((i) => !backups[i]!.isLocked && !s.protectedUuids.has(backups[i]!.uuid) && !undatedMask[i]);
        const oldest = free.filter((i) => i !== newest).sort(newestFirst).at(-1);
        if (oldest !== undefined) {
          expect(result).toEqual({ victim: backups[oldest] });
          return;
        }
        expect(result.victim).toBeUndefined();
        const expected =
          !backups.some((b) => s.matches(b.name))
            ? 'none-matching'
            : successful.length === 0
              ? 'none-successful'
              : free.length > 0
                ? 'only-newest'
                : successful.every((i) => backups[i]!.isLocked)
                  ? 'all-locked'
                  : 'all-protected';
        expect(result.reason).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });
});
