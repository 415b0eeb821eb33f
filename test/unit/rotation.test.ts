import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/operations/context.js';
import { rotationFor } from '../../src/operations/rotation.js';
import { findRecentBackup } from '../../src/operations/skip-recent.js';
import { createWithoutDuplicates } from '../../src/operations/create-request.js';
import { NetworkError } from '../../src/http/network-error.js';
import { PanelError } from '../../src/panel/errors.js';
import type { Backup, ServerInfo } from '../../src/panel/types.js';
import { OutputCollector } from '../../src/report/outputs.js';
import { newRunReport } from '../../src/report/run-report.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const backup = (uuid: string, hoursAgo: number, name = `octo/site@${uuid} run 1.1`): Backup => {
  const at = new Date(NOW - hoursAgo * 3_600_000).toISOString();
  return { uuid, name, isSuccessful: true, isLocked: false, checksum: `sha1:${'a'.repeat(40)}`, bytes: 1, createdAt: at, completedAt: at, ignoredFiles: [], attributes: {} };
};
const refusal = new PanelError(
  400,
  'TooManyBackupsException',
  ['Cannot create a new backup, this server has reached its limit of 3 backups.'],
  { method: 'POST', path: '/servers/1a2b3c4d/backups', permission: 'backup.create' },
  {},
);

/** A panel whose list is `list()` each time, recording deletes; a delete may throw. */
function context(list: () => { backups: Backup[]; backupCount: number | undefined }, onDelete: (uuid: string) => void = () => {}) {
  const deletes: string[] = [];
  const ctx = {
    serverId: '1a2b3c4d',
    settings: { retentionMatch: [], rotate: true, dryRun: false, retention: {} },
    workflow: { repository: 'octo/site' },
    now: () => NOW,
    log: { info: () => {}, warning: () => {}, notice: () => {}, debug: () => {} },
    outputs: new OutputCollector(),
    report: newRunReport(NOW),
    client: {
      listBackups: async () => list(),
      deleteBackup: async (_id: string, uuid: string) => {
        deletes.push(uuid);
        onDelete(uuid);
      },
    },
  } as unknown as OperationContext;
  return { ctx, deletes };
}
const server = (backupLimit: number | null) => ({ backupLimit }) as ServerInfo;

describe('rotationFor', () => {
  it('stops when a deletion did not lower the count (another run is adding backups)', async () => {
    const backups = [backup('a', 50), backup('b', 40), backup('c', 30), backup('d', 20), backup('e', 10)];
    const { ctx, deletes } = context(() => ({ backups, backupCount: 5 }));
    const makeRoom = rotationFor(ctx, server(3));
    await makeRoom(refusal);
    await expect(makeRoom(refusal)).rejects.toThrow(/no fewer than before: another run or a schedule may be creating backups on it/);
    expect(deletes).toEqual(['a']);
  });

  it('deletes one backup only when the limit is unknown', async () => {
    let backups = [backup('a', 50), backup('b', 40), backup('c', 30)];
    const { ctx, deletes } = context(
      () => ({ backups, backupCount: backups.length }),
      (uuid) => (backups = backups.filter((b) => b.uuid !== uuid)),
    );
    const makeRoom = rotationFor(ctx, server(null));
    await makeRoom(refusal);
    await expect(makeRoom(refusal)).rejects.toThrow(/as many as the server held above its limit of unknown/);
    expect(deletes).toEqual(['a']);
  });

  it('does not count as its own a backup that was already gone', async () => {
    const backups = [backup('a', 50), backup('b', 40), backup('c', 30)];
    const notFound = new PanelError(404, 'NotFoundHttpException', ['gone'], { method: 'DELETE', path: '/x', permission: undefined }, {});
    const { ctx } = context(
      () => ({ backups, backupCount: 3 }),
      () => {
        throw notFound;
      },
    );
    await rotationFor(ctx, server(3))(refusal);
    expect(ctx.outputs.get('deleted')).toBeUndefined();
    expect(ctx.report.deleted).toEqual([]);
  });
});

describe('findRecentBackup', () => {
  const recentContext = (backups: Backup[]) => context(() => ({ backups, backupCount: backups.length })).ctx;

  it('reports a backup younger than the threshold, and not one exactly as old', async () => {
    const sixHours = 6 * 3_600_000;
    expect((await findRecentBackup(recentContext([backup('young', 5.9)]), sixHours))?.uuid).toBe('young');
    expect(await findRecentBackup(recentContext([backup('edge', 6)]), sixHours)).toBeUndefined();
  });

  it('looks at the newest successful backup, not an older one', async () => {
    expect((await findRecentBackup(recentContext([backup('young', 1), backup('old', 50)]), 6 * 3_600_000))?.uuid).toBe('young');
  });
});

describe('createWithoutDuplicates', () => {
  const daemonDown = new PanelError(
    504,
    'DaemonConnectionException',
    ['Could not establish a connection to the machine running this server. Please try again.'],
    { method: 'POST', path: '/servers/1a2b3c4d/backups', permission: 'backup.create' },
    {},
  );
  const at = (uuid: string, name: string, ms: number): Backup => ({ ...backup(uuid, 0, name), createdAt: new Date(ms).toISOString() });

  /**
   * A create whose attempts answer as `creates` says (an error, or the backup made) and whose list is
   * `list(n)` on the n-th read, on a virtual clock.
   */
  function createContext(creates: Array<Error | Backup>, list: (read: number) => Backup[]) {
    let now = NOW;
    const sent: number[] = [];
    const sleeps: number[] = [];
    const lines: string[] = [];
    let reads = 0;
    const ctx = {
      serverId: '1a2b3c4d',
      signal: new AbortController().signal,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      log: { info: (m: string) => lines.push(`info: ${m}`), warning: (m: string) => lines.push(`warning: ${m}`), notice: () => {}, debug: () => {} },
      report: newRunReport(NOW),
      client: {
        createBackup: async () => {
          sent.push(now);
          const answer = creates.shift() ?? new Error('no more creates expected');
          if (answer instanceof Error) throw answer;
          return answer;
        },
        listBackups: async () => ({ backups: list(++reads), backupCount: undefined }),
      },
    } as unknown as OperationContext;
    return { ctx, sent, sleeps, lines, reads: () => reads };
  }
  const request = { name: 'mine', ignored: [], locked: false };
  const clock = (panelNow: number | undefined) => ({ panelDate: panelNow === undefined ? undefined : new Date(panelNow), localAt: NOW });

  it("never adopts another run's backup, nor an older one with this name: only one made after the first attempt", async () => {
    const made = at('made', 'mine', NOW + 5_000);
    const { ctx, sent } = createContext([daemonDown, made], () => [at('other', 'someone else', NOW + 1_000), at('old', 'mine', NOW - 3_600_000)]);
    const result = await createWithoutDuplicates(ctx, request, clock(NOW), NOW + 3_600_000);
    expect(result).toEqual({ backup: made, adopted: false });
    expect(sent).toHaveLength(2);
  });

  it('adopts the newest of several backups with this name, saying so', async () => {
    const { ctx, sent, lines } = createContext([new NetworkError('reset', 'reset')], () => [at('newer', 'mine', NOW + 2_000), at('older', 'mine', NOW + 1_000)]);
    const result = await createWithoutDuplicates(ctx, request, clock(NOW), NOW + 3_600_000);
    expect(result).toEqual({ backup: expect.objectContaining({ uuid: 'newer' }), adopted: true });
    expect(sent).toHaveLength(1);
    expect(lines).toContain("warning: 2 backups named 'mine' appeared since the first attempt; using the newest, newer.");
  });

  it('looks again once the panel can no longer be working on an unanswered create, before sending another', async () => {
    const late = at('late', 'mine', NOW + 20_000);
    const { ctx, sent, sleeps } = createContext([new NetworkError('response-timeout', 'timeout')], (read) => (read === 1 ? [] : [late]));
    const result = await createWithoutDuplicates(ctx, request, clock(NOW), NOW + 3_600_000);
    expect(result).toEqual({ backup: late, adopted: true });
    expect(sent).toHaveLength(1);
    expect(sleeps).toEqual([30_000]);
  });

  it("does not wait to look again when the panel's own error says it rolled the create back", async () => {
    const made = at('made', 'mine', NOW + 5_000);
    const { ctx, sent, lines, reads } = createContext([daemonDown, made], () => []);
    await createWithoutDuplicates(ctx, request, clock(NOW), NOW + 3_600_000);
    expect(sent).toHaveLength(2);
    expect(reads()).toBe(1);
    expect(lines.join('\n')).not.toContain('Not listed yet');
  });

  it('gives up after three creates that surely made nothing, saying how many failed', async () => {
    const { ctx, sent } = createContext([daemonDown, daemonDown, daemonDown, daemonDown], () => []);
    await expect(createWithoutDuplicates(ctx, request, clock(NOW), NOW + 3_600_000)).rejects.toThrow(
      /^the backup could not be created: 3 attempts failed, the last with POST .* answered 504 DaemonConnectionException.*No backup with this name was made/,
    );
    expect(sent).toHaveLength(3);
  });

  it("allows a minute of clock skew when the panel's clock is unknown", async () => {
    // The panel's clock is 30 s behind the runner's; its backup looks 30 s old.
    const { ctx, sent } = createContext([new NetworkError('reset', 'reset')], () => [at('made', 'mine', NOW - 30_000)]);
    const result = await createWithoutDuplicates(ctx, request, clock(undefined), NOW + 3_600_000);
    expect(result.adopted).toBe(true);
    expect(sent).toHaveLength(1);
  });
});
