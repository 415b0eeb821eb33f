/**
 * Pure retention and rotation planning (no I/O): which backups `keep`, `keep-daily`/`-weekly`/
 * `-monthly`, `max-age` and `prune-failed` delete, and which one `rotate` deletes to make room.
 * Rules: interface.md "Retention"; backup states: panel-api.md §4.2.
 */
import type { RetentionRules } from '../inputs/settings.js';
import { slotsHeld, sortNewestFirst } from '../panel/backups.js';
import type { Backup } from '../panel/types.js';
import { backupState } from '../panel/types.js';
import { isoWeekKey, utcDayKey, utcMonthKey } from './calendar.js';
import type { NameMatcher } from './name-match.js';

export type KeepReason = 'keep' | 'keep-daily' | 'keep-weekly' | 'keep-monthly' | 'max-age';

export type ProtectReason =
  | 'locked'
  | 'running'
  | 'this-run'
  | 'newest-successful'
  | 'not-matching'
  | 'no-rule'
  | 'failed-without-prune-failed'
  /** A successful backup whose `created_at` does not parse: its age and day are unknown. */
  | 'unknown-created-at';

export interface RetentionInput {
  /** Every backup of the server, any order (the panel lists oldest first). */
  backups: Backup[];
  rules: RetentionRules;
  /** Which names may be deleted (the caller resolves the default `<owner/repo>@*`). */
  matches: NameMatcher;
  /** Epoch ms. */
  now: number;
  /** E.g. the backup this run just created. */
  protectedUuids: ReadonlySet<string>;
  /**
   * Dry run of create: a successful backup that would have been created now with this name; it
   * counts among the newest but is not a real backup. Like the real one would, it counts only
   * when `matches(name)`; it always counts in `remainingNonFailed`.
   */
  pretend?: { name: string; createdAt: string };
}

export interface RetentionDecision {
  backup: Backup;
  delete: boolean;
  /** The rules that keep it (only successful matching backups are ever kept by a rule). */
  keptBy: KeepReason[];
  /** Why it may not be deleted whatever the rules say; empty when it could be. */
  protectedBy: ProtectReason[];
}

export interface RetentionPlan {
  /** One per real backup, newest first. */
  decisions: RetentionDecision[];
  /** Oldest first (the order deletions should run). */
  toDelete: Backup[];
  /** Non-failed backups (running + successful) that remain after the plan, counting the pretend one — compare with the server's backup limit. */
  remainingNonFailed: number;
  /** Whether any of keep, keep-daily/-weekly/-monthly, max-age is set (else no successful backup is deleted). */
  hasKeepRule: boolean;
  /** The rules that keep the pretend backup, when there is one and it matches (for a dry-run report). */
  pretendKeptBy?: KeepReason[];
}

/** `created_at` in epoch ms honouring its offset, or undefined when it does not parse. */
function parsedCreatedAt(backup: Pick<Backup, 'createdAt'>): number | undefined {
  const ms = Date.parse(backup.createdAt);
  return Number.isNaN(ms) ? undefined : ms;
}

function pretendBackup(pretend: { name: string; createdAt: string }): Backup {
  return {
    uuid: '',
    name: pretend.name,
    isSuccessful: true,
    isLocked: false,
    checksum: null,
    bytes: 0,
    createdAt: pretend.createdAt,
    completedAt: pretend.createdAt,
    ignoredFiles: [],
    attributes: {},
  };
}

const BUCKET_RULES = [
  { reason: 'keep-daily', count: (rules: RetentionRules) => rules.keepDaily, bucket: utcDayKey },
  { reason: 'keep-weekly', count: (rules: RetentionRules) => rules.keepWeekly, bucket: isoWeekKey },
  { reason: 'keep-monthly', count: (rules: RetentionRules) => rules.keepMonthly, bucket: utcMonthKey },
] as const;

export function planRetention(input: RetentionInput): RetentionPlan {
  const { rules, matches, now, protectedUuids } = input;
  const pretend = input.pretend ? pretendBackup(input.pretend) : undefined;
  // The pretend one goes last: for equal created_at the later entry is the newer (panel-api.md §2.3).
  const sorted = sortNewestFirst(pretend ? [...input.backups, pretend] : input.backups);

  // The backups the rules count: successful and matching, locked or protected ones included,
  // newest first (interface.md: "the newest N successful backups matching retention-match").
  const candidates = sorted.filter((backup) => backupState(backup) === 'successful' && matches(backup.name));
  const keptBy = new Map<Backup, KeepReason[]>(candidates.map((backup) => [backup, []]));
  const keepFor = (backup: Backup, reason: KeepReason): void => {
    keptBy.get(backup)?.push(reason);
  };

  if (rules.keep !== undefined) {
    for (const backup of candidates.slice(0, rules.keep)) keepFor(backup, 'keep');
  }
  // As restic's --keep-daily: walking newest first, keep a backup when its bucket differs from the
  // last bucket this rule kept, until N buckets are kept. Buckets are UTC days / ISO weeks / months.
  for (const rule of BUCKET_RULES) {
    const count = rule.count(rules);
    if (count === undefined) continue;
    let kept = 0;
    let last: string | undefined;
    for (const backup of candidates) {
      if (kept >= count) break;
      const ms = parsedCreatedAt(backup);
      if (ms === undefined) continue; // no known day: no bucket holds it
      const bucket = rule.bucket(ms);
      if (bucket === last) continue;
      keepFor(backup, rule.reason);
      last = bucket;
      kept += 1;
    }
  }
  if (rules.maxAgeMs !== undefined) {
    for (const backup of candidates) {
      const ms = parsedCreatedAt(backup);
      // "Keep successful backups younger than max-age": age = now − created_at (with its offset).
      if (ms !== undefined && now - ms < rules.maxAgeMs) keepFor(backup, 'max-age');
    }
  }

  const hasKeepRule =
    rules.keep !== undefined ||
    rules.keepDaily !== undefined ||
    rules.keepWeekly !== undefined ||
    rules.keepMonthly !== undefined ||
    rules.maxAgeMs !== undefined;
  // The newest successful matching backup, locked or not, is never deleted: a floor no rule lowers.
  // When that is the pretend one, the real run would have given the floor to the new backup.
  const newestSuccessful = candidates[0];

  const decisions: RetentionDecision[] = [];
  for (const backup of sorted) {
    if (backup === pretend) continue;
    const state = backupState(backup);
    const protectedBy = standingFloors(backup, matches, protectedUuids);
    if (backup === newestSuccessful) protectedBy.push('newest-successful');
    if (state === 'successful' && !hasKeepRule) protectedBy.push('no-rule');
    if (state === 'failed' && !rules.pruneFailed) protectedBy.push('failed-without-prune-failed');
    const kept = keptBy.get(backup) ?? [];
    decisions.push({ backup, delete: protectedBy.length === 0 && kept.length === 0, keptBy: kept, protectedBy });
  }

  const toDelete = decisions.filter((decision) => decision.delete).map((decision) => decision.backup).reverse();
  // meta.backup_count counts running + successful backups (panel-api.md §3.2); failed ones hold no slot.
  const nonFailed = slotsHeld(input.backups);
  const deletedNonFailed = slotsHeld(toDelete);
  const plan: RetentionPlan = {
    decisions,
    toDelete,
    remainingNonFailed: nonFailed - deletedNonFailed + (pretend ? 1 : 0),
    hasKeepRule,
  };
  if (pretend && keptBy.has(pretend)) plan.pretendKeptBy = keptBy.get(pretend) ?? [];
  return plan;
}

/**
 * What protects a backup from any deletion, whatever the rules: retention and rotation share these.
 */
function standingFloors(backup: Backup, matches: NameMatcher, protectedUuids: ReadonlySet<string>): ProtectReason[] {
  const state = backupState(backup);
  const floors: ProtectReason[] = [];
  // A locked backup is never deleted, failed ones included (a pruned failed backup keeps its lock, panel-api.md §4.2).
  if (backup.isLocked) floors.push('locked');
  // Running: `completed_at` is null (panel-api.md §4.2).
  if (state === 'pending') floors.push('running');
  if (protectedUuids.has(backup.uuid)) floors.push('this-run');
  // Non-matching backups are never touched.
  if (!matches(backup.name)) floors.push('not-matching');
  if (state === 'successful' && parsedCreatedAt(backup) === undefined) floors.push('unknown-created-at');
  return floors;
}

export type RotationBlock = 'none-matching' | 'none-successful' | 'all-locked' | 'only-newest' | 'all-protected';

export interface RotationInput {
  backups: Backup[];
  matches: NameMatcher;
  protectedUuids: ReadonlySet<string>;
  /** The server's backup limit (`feature_limits.backups`), when known. */
  backupLimit: number | null;
}

/**
 * `rotate`: the one backup to delete to make room: the oldest successful backup that the standing
 * floors allow (unlocked, matching, dated, not protected). Stricter than the panel's schedules
 * (panel-api.md §6), which may pick a running one. The newest successful matching backup is kept
 * as retention keeps it, except at a limit of 1, where no room can be made otherwise (the caller
 * warns). When none may be deleted, `reason` says why: no backup matches; none of the matching
 * ones is successful (running or failed); only the newest may be deleted; every successful
 * matching one is locked; or each is locked, protected or undated.
 */
export function planRotation(input: RotationInput): { victim: Backup | undefined; reason?: RotationBlock } {
  const newestFirst = sortNewestFirst(input.backups);
  const matching = newestFirst.filter((backup) => input.matches(backup.name));
  if (matching.length === 0) return { victim: undefined, reason: 'none-matching' };
  const successful = matching.filter((backup) => backupState(backup) === 'successful');
  if (successful.length === 0) return { victim: undefined, reason: 'none-successful' };
  const free = successful.filter((backup) => standingFloors(backup, input.matches, input.protectedUuids).length === 0);
  const newest = input.backupLimit === 1 ? undefined : successful[0];
  const victim = free.filter((backup) => backup !== newest).at(-1);
  if (victim) return { victim };
  if (free.length > 0) return { victim: undefined, reason: 'only-newest' };
  return { victim: undefined, reason: successful.every((backup) => backup.isLocked) ? 'all-locked' : 'all-protected' };
}
