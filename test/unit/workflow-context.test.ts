import { describe, expect, it, vi } from 'vitest';
import * as github from '@actions/github';
import { readWorkflowContext } from '../../src/workflow-context.js';
import { defaultBackupName, defaultRetentionPattern } from '../../src/default-name.js';

describe('readWorkflowContext', () => {
  it("reads the run the same way as @actions/github's context", () => {
    vi.stubEnv('GITHUB_REPOSITORY', 'octo/site');
    vi.stubEnv('GITHUB_SHA', 'abc1234def5678abc1234def5678abc1234def56');
    vi.stubEnv('GITHUB_RUN_ID', '9876543');
    vi.stubEnv('GITHUB_RUN_ATTEMPT', '2');
    vi.stubEnv('GITHUB_EVENT_PATH', '');
    // The package exports only its root; a fresh Context reads the stubbed environment.
    const Context = github.context.constructor as new () => typeof github.context;
    const reference = new Context();
    const ours = readWorkflowContext();
    expect(ours.repository).toBe(`${reference.repo.owner}/${reference.repo.repo}`);
    expect(ours.sha).toBe(reference.sha);
    expect(ours.runId).toBe(reference.runId);
    expect(ours.runAttempt).toBe(reference.runAttempt);
  });

  it('leaves what is missing undefined outside Actions', () => {
    const context = readWorkflowContext({});
    expect(context).toMatchObject({ repository: undefined, sha: undefined, runId: undefined, runAttempt: undefined });
  });

  it('takes variables set but empty as missing, so the default name falls back', () => {
    const context = readWorkflowContext({ GITHUB_REPOSITORY: '', GITHUB_SHA: '', GITHUB_RUN_ID: '', GITHUB_RUN_ATTEMPT: '' });
    expect(context).toMatchObject({ repository: undefined, sha: undefined, runId: undefined, runAttempt: undefined });
    expect(defaultBackupName(context, new Date(1_700_000_000_000))).toBe('local@0000000 run 1700000000.1');
    expect(defaultRetentionPattern(context)).toBeUndefined();
  });
});

describe('defaultBackupName', () => {
  it('is <owner/repo>@<sha7> run <run id>.<attempt>', () => {
    const context = { repository: 'octo/site', sha: 'abc1234def', runId: 9876543, runAttempt: 1, workspace: '/w' };
    expect(defaultBackupName(context)).toBe('octo/site@abc1234 run 9876543.1');
    expect(defaultRetentionPattern(context)).toBe('octo/site@*');
  });

  it("is cut to Pterodactyl's 191 characters", () => {
    const context = { repository: `o/${'r'.repeat(300)}`, sha: 'abc1234', runId: 1, runAttempt: 1, workspace: '/w' };
    expect(defaultBackupName(context)).toHaveLength(191);
  });

  it('falls back outside Actions', () => {
    const name = defaultBackupName({ repository: undefined, sha: undefined, runId: undefined, runAttempt: undefined, workspace: '/w' }, new Date(1_700_000_000_000));
    expect(name).toBe('local@0000000 run 1700000000.1');
  });
});
