import { DEFAULT_NAME_MAX_LENGTH } from './constants.js';
import type { WorkflowContext } from './workflow-context.js';

/**
 * `<owner/repo>@<first 7 of the commit SHA> run <run id>.<run attempt>`, cut to the name limit,
 * e.g. `octo/site@abc1234 run 9876543.1`. Outside GitHub Actions the parts fall back to
 * `local`, `0000000`, the current time and 1, so a local run still gets a recognisable name.
 */
export function defaultBackupName(context: WorkflowContext, now: Date = new Date()): string {
  const repository = context.repository ?? 'local';
  const sha = (context.sha ?? '0000000').slice(0, 7);
  const runId = context.runId ?? Math.floor(now.getTime() / 1000);
  const attempt = context.runAttempt ?? 1;
  return `${repository}@${sha} run ${runId}.${attempt}`.slice(0, DEFAULT_NAME_MAX_LENGTH);
}

/** The glob that retention uses by default: the names this action gives in this repository. */
export function defaultRetentionPattern(context: WorkflowContext): string | undefined {
  return context.repository ? `${context.repository}@*` : undefined;
}
