import { expect, it } from 'vitest';
import { PanelError } from '../../src/panel/errors.js';
import { NetworkError } from '../../src/http/network-error.js';
import type { OperationContext } from '../../src/operations/context.js';
import { waitForRestore } from '../../src/restore/wait-for-restore.js';

/** A context on a virtual clock whose server view answers `answers` in turn (an Error is thrown). */
function withServerViews(answers: Array<string | null | Error>) {
  let now = 0;
  const lines: string[] = [];
  const ctx = {
    serverId: '1a2b3c4d',
    settings: { pollIntervalMs: 1_000 },
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    log: { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(`warning: ${m}`), notice: () => {}, debug: () => {} },
    client: {
      getServer: async () => {
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return { server: { status: answer ?? null } };
      },
    },
  } as unknown as OperationContext;
  return { ctx, lines };
}

const badGateway = () => new PanelError(502, undefined, ['Bad Gateway'], { method: 'GET', path: '/servers/1a2b3c4d', permission: undefined }, {});

it('keeps waiting through a read of the server that fails', async () => {
  const { ctx, lines } = withServerViews(['restoring_backup', badGateway(), null]);
  await waitForRestore(ctx, 60_000, true);
  expect(lines.some((line) => /^warning: Could not read the server .*; still waiting for the restore\.$/.test(line))).toBe(true);
  expect(lines.at(-1)).toMatch(/^The restore finished after/);
});

it('keeps waiting through a network failure, but not through a refusal or a cancellation', async () => {
  const reset = withServerViews(['restoring_backup', new NetworkError('reset', 'the connection was reset'), null]);
  await waitForRestore(reset.ctx, 60_000, true);
  expect(reset.lines.at(-1)).toMatch(/^The restore finished after/);
  const refused = new PanelError(403, 'AuthorizationException', ['This action is unauthorized.'], { method: 'GET', path: '/servers/1a2b3c4d', permission: undefined }, {});
  await expect(waitForRestore(withServerViews(['restoring_backup', refused, null]).ctx, 60_000, true)).rejects.toBe(refused);
  const cancelled = new NetworkError('aborted', 'cancelled');
  await expect(waitForRestore(withServerViews([cancelled, null]).ctx, 60_000, true)).rejects.toBe(cancelled);
});

it('stops when the server leaves the restoring state for another one', async () => {
  const { ctx } = withServerViews(['restoring_backup', 'install_failed']);
  await expect(waitForRestore(ctx, 60_000, true)).rejects.toThrow("the server went from restoring to 'install_failed' instead of finishing the restore");
});

it('on wait-timeout, says the server stays stopped only when this run stopped it', async () => {
  const stopped = withServerViews(Array(100).fill('restoring_backup'));
  await expect(waitForRestore(stopped.ctx, 5_000, true)).rejects.toThrow('and the server this run stopped stays stopped');
  const untouched = withServerViews(Array(100).fill('restoring_backup'));
  await expect(waitForRestore(untouched.ctx, 5_000, false)).rejects.toThrow(/it goes on on the node\. Watch it in the panel, or raise wait-timeout\.$/);
});
