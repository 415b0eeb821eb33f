import { defaultRetentionPattern } from '../default-name.js';
import { hasRetentionRules } from '../inputs/settings.js';
import type { Settings } from '../inputs/settings.js';
import type { WorkflowContext } from '../workflow-context.js';
import { compileNameMatcher, matchEveryName } from './name-match.js';
import type { NameMatcher } from './name-match.js';

/**
 * The names that rotation and retention may delete. An empty `retention-match` means only the
 * names this action gives by default in this repository (`<owner/repo>@*`), so backups made by
 * hand or by other repositories are never touched; a `retention-match` of only `!` lines takes
 * its exclusions from that default.
 */
export function deletionMatcher(settings: Settings, workflow: WorkflowContext): { matches: NameMatcher; description: string } {
  const lines = settings.retentionMatch;
  const listed = `retention-match (${lines.join(', ')})`;
  if (lines.some((line) => !line.startsWith('!'))) return { matches: compileNameMatcher(lines), description: listed };
  // Empty, or only `!` lines: those narrow the default; they never widen deletion to every backup.
  const pattern = defaultRetentionPattern(workflow);
  if (!pattern) {
    return { matches: () => false, description: 'the default <owner/repo>@* (no repository known outside GitHub Actions, so nothing)' };
  }
  if (lines.length === 0) return { matches: compileNameMatcher([pattern]), description: `the default ${pattern}` };
  return { matches: compileNameMatcher([pattern, ...lines]), description: `the default ${pattern} without the exclusions of ${listed}` };
}

/** The names that `latest` and `skip-if-newer-than` may choose: every backup unless `retention-match` is set. */
export function choosingMatcher(settings: Settings): NameMatcher {
  return settings.retentionMatch.length > 0 ? compileNameMatcher(settings.retentionMatch) : matchEveryName;
}

/**
 * Outside GitHub Actions (no repository) an empty `retention-match`, or one of only `!` lines,
 * matches nothing for deleting. For `prune`, whose whole job is deleting, that is an input error;
 * for retention or rotate on `create`, a warning.
 */
export function checkDeletionScope(settings: Settings, workflow: WorkflowContext): { error?: string; warning?: string } {
  const deletes = settings.operation === 'prune' || (settings.operation === 'create' && (settings.rotate || hasRetentionRules(settings.retention)));
  if (!deletes || workflow.repository || settings.retentionMatch.some((line) => !line.startsWith('!'))) return {};
  const why =
    'retention-match is empty (or only excludes), and its default <owner/repo>@* needs GITHUB_REPOSITORY, which is not set outside GitHub Actions, so nothing could be deleted';
  if (settings.operation === 'prune') return { error: `${why}. Set retention-match to the names prune may delete, e.g. 'nightly-*'.` };
  return { warning: `${why}: retention and rotate delete nothing in this run. Set retention-match to change that.` };
}
