import { defaultRetentionPattern } from '../default-name.js';
import type { Settings } from '../inputs/settings.js';
import type { WorkflowContext } from '../workflow-context.js';
import { compileNameMatcher, matchEveryName } from './name-match.js';
import type { NameMatcher } from './name-match.js';

/**
 * The names that rotation and retention may delete. An empty `retention-match` means only the
 * names this action gives by default in this repository (`<owner/repo>@*`), so backups made by
 * hand or by other repositories are never touched.
 */
export function deletionMatcher(settings: Settings, workflow: WorkflowContext): { matches: NameMatcher; description: string } {
  if (settings.retentionMatch.length > 0) {
    return { matches: compileNameMatcher(settings.retentionMatch), description: `retention-match (${settings.retentionMatch.join(', ')})` };
  }
  const pattern = defaultRetentionPattern(workflow);
  if (!pattern) return { matches: () => false, description: 'the default <owner/repo>@* (no repository known outside GitHub Actions, so nothing)' };
  return { matches: compileNameMatcher([pattern]), description: `the default ${pattern}` };
}

/** The names that `latest` and `skip-if-newer-than` may choose: every backup unless `retention-match` is set. */
export function choosingMatcher(settings: Settings): NameMatcher {
  return settings.retentionMatch.length > 0 ? compileNameMatcher(settings.retentionMatch) : matchEveryName;
}

/** Whether any retention rule is set. */
export function hasRetentionRule(settings: Settings): boolean {
  const r = settings.retention;
  return r.keep !== undefined || r.keepDaily !== undefined || r.keepWeekly !== undefined || r.keepMonthly !== undefined || r.maxAgeMs !== undefined || r.pruneFailed;
}
