import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/operations/context.js';
import type { ActivityEntry } from '../../src/panel/types.js';
import { awaitRestoreOutcome, restoreLoggedSince } from '../../src/restore/outcome.js';
import { PanelError } from '../../src/panel/errors.js';

const T = Date.parse('2026-11-26T03:00:00Z');
const at = (seconds: number) => new Date(T + seconds * 1000).toISOString().replace('.000Z', '+00:00');
const entry = (event: string, seconds: number): ActivityEntry => ({ id: `${event}@${seconds}`, event, timestamp: at(seconds), properties: {} });

/** A context on a virtual clock whose activity log (newest first) is `log`. */
function withLog(log: ActivityEntry[]) {
  let now = T + 60_000;
  const ctx = {
    serverId: '1a2b3c4d',
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    client: { listActivity: async () => log },
  } as unknown as OperationContext;
  return ctx;
}

describe('awaitRestoreOutcome', () => {
  it("reads this restore's outcome", async () => {
    const ctx = withLog([entry('server:backup.restore-complete', 20), entry('server:backup.restore', 10)]);
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('restored');
    const failed = withLog([entry('server.backup.restore-failed', 20), entry('server:backup.restore', 10)]);
    expect(await awaitRestoreOutcome(failed, T + 8_000)).toBe('failed');
    // The colon form, as Pelican also writes it.
    const colon = withLog([entry('server:backup.restore-failed', 20), entry('server:backup.restore', 10)]);
    expect(await awaitRestoreOutcome(colon, T + 8_000)).toBe('failed');
  });

  it("ignores an earlier restore's outcome inside the window's margin, older than this run's request", async () => {
    // The window starts at 8 s; an earlier restore ended at 9 s; this one was requested at 10 s.
    const ctx = withLog([entry('server:backup.restore', 10), entry('server:backup.restore-complete', 9), entry('server:backup.restore', 2)]);
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('unknown');
  });

  it('counts an outcome in the same second as the request, whatever their order in the log', async () => {
    const ctx = withLog([entry('server:backup.restore', 10), entry('server:backup.restore-complete', 10)]);
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('restored');
  });

  it('ignores everything before the window', async () => {
    const ctx = withLog([entry('server:backup.restore-failed', 5), entry('server:backup.restore', 4)]);
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('unknown');
  });
});

describe('an activity log the key may not read', () => {
  it('leaves the outcome unknown and whether a restore started untold', async () => {
    const ctx = withLog([]);
    ctx.client.listActivity = async () => {
      throw new PanelError(403, 'AuthorizationException', ['This action is unauthorized.'], { method: 'GET', path: '/activity', permission: 'activity.read' }, {});
    };
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('unknown');
    expect(await restoreLoggedSince(ctx, T + 8_000)).toBeUndefined();
  });
});

describe('an activity log that fails to answer after the restore finished', () => {
  const failing = (status: number) => new PanelError(status, undefined, ['Server Error'], { method: 'GET', path: '/activity', permission: 'activity.read' }, {});

  it('reads it again within the grace, and takes the outcome once it answers', async () => {
    const ctx = withLog([]);
    let reads = 0;
    ctx.client.listActivity = async () => {
      reads++;
      if (reads === 1) throw failing(502);
      return [entry('server:backup.restore-complete', 20), entry('server:backup.restore', 10)];
    };
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('restored');
    expect(reads).toBe(2);
  });

  it('leaves the outcome unknown, saying why, when it keeps failing', async () => {
    const ctx = withLog([]);
    const warnings: string[] = [];
    ctx.log = { warning: (message: string) => warnings.push(message) } as unknown as OperationContext['log'];
    ctx.client.listActivity = async () => {
      throw failing(500);
    };
    expect(await awaitRestoreOutcome(ctx, T + 8_000)).toBe('unknown');
    expect(warnings).toEqual([expect.stringMatching(/^The panel's activity log could not be read to confirm the restore's outcome: /)]);
  });

  it('still fails on a refusal other than 403 or 404', async () => {
    const ctx = withLog([]);
    ctx.client.listActivity = async () => {
      throw failing(401);
    };
    await expect(awaitRestoreOutcome(ctx, T + 8_000)).rejects.toThrow(PanelError);
  });
});

describe('restoreLoggedSince', () => {
  it('sees a restore by its request, completion or failure entry since the window, and nothing older', async () => {
    expect(await restoreLoggedSince(withLog([entry('server:backup.restore', 10)]), T + 8_000)).toBe(true);
    expect(await restoreLoggedSince(withLog([entry('server:backup.restore-complete', 10)]), T + 8_000)).toBe(true);
    expect(await restoreLoggedSince(withLog([entry('server.backup.restore-failed', 10)]), T + 8_000)).toBe(true);
    expect(await restoreLoggedSince(withLog([entry('server:backup.restore-complete', 5), entry('server:backup.restore', 4)]), T + 8_000)).toBe(false);
  });
});
