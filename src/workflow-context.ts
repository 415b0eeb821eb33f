/**
 * The few facts of the workflow run the action needs, read from the runner's environment the
 * same way `@actions/github`'s `context` reads them (test/workflow-context.test.ts holds the two
 * side by side). Importing `@actions/github` itself would bundle Octokit (about 1.1 MB) and slow
 * every start for four environment variables.
 */
export interface WorkflowContext {
  /** `owner/repo`, or undefined outside GitHub Actions. */
  repository: string | undefined;
  sha: string | undefined;
  runId: number | undefined;
  runAttempt: number | undefined;
  /** Where relative paths are resolved; the working directory. */
  workspace: string;
}

function positiveInt(value: string | undefined): number | undefined {
  const parsed = Number.parseInt(value ?? '', 10);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function readWorkflowContext(env: NodeJS.ProcessEnv = process.env): WorkflowContext {
  return {
    repository: env.GITHUB_REPOSITORY || undefined,
    sha: env.GITHUB_SHA || undefined,
    runId: positiveInt(env.GITHUB_RUN_ID),
    runAttempt: positiveInt(env.GITHUB_RUN_ATTEMPT),
    workspace: process.cwd(),
  };
}
