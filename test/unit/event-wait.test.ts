import { describe, expect, it } from 'vitest';
import { CONFIRM_GRACE_MS, SAFETY_POLL_FACTOR, waitWithEvents } from '../../src/wait/event-wait.js';
import type { BackupEvents, BackupCompletedEvent, BackupSignal } from '../../src/wait/websocket/backup-events.js';
import { NetworkError } from '../../src/http/network-error.js';
import { PanelError } from '../../src/panel/errors.js';
import { pollUntilFinished } from '../../src/wait/poll.js';
import { WaitTimeoutError } from '../../src/wait/errors.js';
import { isPassingReadFailure } from '../../src/wait/passing-error.js';
import type { OperationContext } from '../../src/operations/context.js';
import type { Backup } from '../../src/panel/types.js';

const UUID = '3f1c2a9e-5b7d-4c1e-9a2b-0123456789ab';
const START = 1_000_000;

function backup(completedAt: string | null, isSuccessful = completedAt !== null): Backup {
  return {
    uuid: UUID,
    name: 'nightly',
    isSuccessful,
    isLocked: false,
    checksum: isSuccessful ? `sha1:${'ab'.repeat(20)}` : null,
    bytes: isSuccessful ? 4096 : 0,
    createdAt: '2026-01-01T00:00:00+00:00',
    completedAt,
    ignoredFiles: [],
    attributes: {},
  };
}
const PENDING = backup(null);
const DONE = backup('2026-01-01T00:05:00+00:00');

/**
 * A fake events source on the context's virtual clock: `script` holds signals due at a time (ms
 * after the start); `next` hands out the first one due within its timeout, or lets the time pass.
 */
function fakeEvents(clock: { now: number }, script: { at: number; signal: BackupSignal }[]) {
  const seen = new Map<string, BackupCompletedEvent>();
  const calls: number[] = [];
  const events = {
    completed: (uuid: string) => seen.get(uuid),
    next: async (timeoutMs: number): Promise<BackupSignal> => {
      calls.push(clock.now - START);
      const due = script[0];
      if (due && START + due.at <= clock.now + timeoutMs) {
        script.shift();
        clock.now = Math.max(clock.now, START + due.at);
        if (due.signal.type === 'completed') seen.set(due.signal.event.uuid, due.signal.event);
        return due.signal;
      }
      clock.now += timeoutMs;
      return { type: 'timeout' };
    },
  };
  return { events: events as unknown as BackupEvents, calls };
}

/** A context on a virtual clock whose backup reads come from `answer` (ms since the start → a backup or an error). */
function fakeContext(answer: (at: number) => Backup | Error, pollIntervalMs = 1_000) {
  const clock = { now: START };
  const reads: number[] = [];
  const lines: string[] = [];
  const line = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  const ctx = {
    serverId: '1a2b3c4d',
    settings: { pollIntervalMs, waitTimeoutMs: 3_600_000 },
    client: {
      getBackup: async () => {
        reads.push(clock.now - START);
        const result = answer(clock.now - START);
        if (result instanceof Error) throw result;
        return result;
      },
    },
    signal: new AbortController().signal,
    now: () => clock.now,
    sleep: async (ms: number) => {
      clock.now += ms;
    },
    log: { info: line('info'), warning: line('warning'), notice: line('notice'), debug: line('debug') },
  } as unknown as OperationContext;
  return { ctx, clock, reads, lines };
}

const failureEvent = (at: number): BackupSignal => ({
  type: 'completed',
  event: { uuid: UUID, isSuccessful: false, checksum: '', checksumType: 'sha1', fileSize: 0, receivedAt: START + at },
});

describe('waitWithEvents', () => {
  it('reads the backup over REST at once on a gap, not only at the next safety poll', async () => {
    // The backup finished at 1.5 s; its event was dropped, and at 2 s the socket says events may have been missed.
    const { ctx, clock, reads, lines } = fakeContext((at) => (at >= 1_500 ? DONE : PENDING));
    const { events } = fakeEvents(clock, [{ at: 2_000, signal: { type: 'gap', why: 'reconnected after a drop' } }]);
    const finished = await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {});
    expect(finished).toBe(DONE);
    expect(reads).toEqual([2_000]);
    expect(lines).toContain('debug: Events may have been missed (reconnected after a drop); reading the backup over REST.');
  });

  it('reads once per gap, and otherwise only at the safety poll', async () => {
    const { ctx, clock, reads } = fakeContext((at) => (at >= 20_000 ? DONE : PENDING));
    const { events } = fakeEvents(clock, [{ at: 500, signal: { type: 'gap', why: 'throttled' } }]);
    await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {});
    const every = 1_000 * SAFETY_POLL_FACTOR;
    // The gap's read restarts the safety poll's interval; no read in between.
    expect(reads).toEqual([500, 500 + every, 500 + 2 * every, 500 + 3 * every, 500 + 4 * every]);
  });

  it('falls back to polling, saying so, once the socket is lost', async () => {
    let polls = 0;
    const { ctx, clock, reads, lines } = fakeContext(() => (++polls >= 3 ? DONE : PENDING), 5);
    const { events, calls } = fakeEvents(clock, [{ at: 10, signal: { type: 'lost', why: 'the connection was lost (502) and 5 reconnect(s) failed' } }]);
    const finished = await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {});
    expect(finished).toBe(DONE);
    expect(lines).toContain('info: The websocket is gone (the connection was lost (502) and 5 reconnect(s) failed); waiting by polling every 5 ms.');
    // One read at once, then the poll every 5 ms (real time) until the third read shows it finished.
    expect(reads).toHaveLength(3);
    expect(reads[0]).toBe(10);
    // The socket is not asked again.
    expect(calls).toEqual([0]);
  });

  it('ends at once when the backup already finished by the time the socket is lost', async () => {
    const { ctx, clock, reads } = fakeContext(() => DONE);
    const { events } = fakeEvents(clock, [{ at: 10, signal: { type: 'lost', why: 'closed' } }]);
    expect(await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {})).toBe(DONE);
    expect(reads).toEqual([10]);
  });
});

describe('waitWithEvents at wait-timeout', () => {
  it('reads the backup once more at the deadline and returns it when it finished unseen', async () => {
    // Finished at 5 s, its event dropped; the deadline (5.5 s) comes before the safety poll (6 s).
    const { ctx, clock, reads } = fakeContext((at) => (at >= 5_000 ? DONE : PENDING));
    const { events } = fakeEvents(clock, []);
    expect(await waitWithEvents(ctx, events, PENDING, START + 5_500, () => {})).toBe(DONE);
    expect(reads).toEqual([5_500]);
  });

  it('ends at the deadline, not at a later safety poll, naming the backup', async () => {
    const { ctx, clock, reads } = fakeContext(() => PENDING);
    const { events } = fakeEvents(clock, []);
    const error = await waitWithEvents(ctx, events, PENDING, START + 2_000, () => {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toContain(`backup ${UUID} ('nightly') is still running after wait-timeout`);
    expect(reads).toEqual([2_000]);
  });

  it('reads the backup before polling when the socket is lost just as the wait ends', async () => {
    const { ctx, clock, reads } = fakeContext(() => DONE);
    const { events } = fakeEvents(clock, [{ at: 1_000, signal: { type: 'lost', why: 'closed' } }]);
    expect(await waitWithEvents(ctx, events, PENDING, START + 1_000, () => {})).toBe(DONE);
    expect(reads).toEqual([1_000]);
  });
});

describe('reading the backup while waiting on the socket', () => {
  it('ends the wait on a refusal (404), which is no passing failure', async () => {
    const gone = new PanelError(404, 'NotFoundHttpException', ['The requested resource could not be found on the server.'], { method: 'GET', path: '/backups/x', permission: undefined }, {});
    const { ctx, clock, reads } = fakeContext(() => gone);
    const { events } = fakeEvents(clock, [{ at: 500, signal: { type: 'gap', why: 'throttled' } }]);
    await expect(waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {})).rejects.toBe(gone);
    expect(reads).toEqual([500]);
  });

  it('tells passing read failures from refusals and cancellations', () => {
    const panel = (status: number) => new PanelError(status, undefined, ['x'], { method: 'GET', path: '/backups/x', permission: undefined }, {});
    expect(isPassingReadFailure(new NetworkError('reset', 'the connection was reset'))).toBe(true);
    expect(isPassingReadFailure(new NetworkError('aborted', 'cancelled'))).toBe(false);
    for (const status of [500, 502, 503, 409, 429]) expect(isPassingReadFailure(panel(status))).toBe(true);
    for (const status of [400, 401, 403, 404]) expect(isPassingReadFailure(panel(status))).toBe(false);
    expect(isPassingReadFailure(new Error('cancelled'))).toBe(false);
  });
});

describe('a failure event that REST does not confirm', () => {
  it('says the panel still shows the backup running when it does', async () => {
    const { ctx, clock } = fakeContext(() => PENDING);
    const { events } = fakeEvents(clock, [{ at: 100, signal: failureEvent(100) }]);
    const error = await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(`the daemon reported that backup ${UUID} failed, but the panel still shows it running after 10s`);
    expect(clock.now - START).toBeGreaterThanOrEqual(100 + CONFIRM_GRACE_MS);
  });

  it('says the panel could not be read when the last read failed', async () => {
    const down = new NetworkError('refused', 'GET /api/client/servers/1a2b3c4d/backups/… failed: the connection was refused.');
    // The first read shows it running; every later one fails.
    const { ctx, clock, reads } = fakeContext((at) => (at <= 100 ? PENDING : down));
    const { events } = fakeEvents(clock, [{ at: 100, signal: failureEvent(100) }]);
    const error = await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(reads.length).toBeGreaterThan(2);
    expect(error?.message).toContain(
      `the daemon reported that backup ${UUID} failed, but the panel could not be read to confirm it: GET /api/client/servers/1a2b3c4d/backups/… failed: the connection was refused. `,
    );
    expect(error?.message).not.toContain('still shows it running');
  });

  it('says the panel still shows it running when only an earlier read failed', async () => {
    const down = new NetworkError('refused', 'GET /api/client/servers/1a2b3c4d/backups/… failed: the connection was refused.');
    // The first confirming read fails; the later ones work and show it running.
    const { ctx, clock } = fakeContext((at) => (at === 100 ? down : PENDING));
    const { events } = fakeEvents(clock, [{ at: 100, signal: failureEvent(100) }]);
    const error = await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('but the panel still shows it running after 10s');
    expect(error?.message).not.toContain('could not be read');
  });

  it('gives up confirming at the deadline, not after the whole grace', async () => {
    const { ctx, clock, reads } = fakeContext(() => PENDING);
    const { events } = fakeEvents(clock, [{ at: 100, signal: failureEvent(100) }]);
    await expect(waitWithEvents(ctx, events, PENDING, START + 3_000, () => {})).rejects.toThrow(`the daemon reported that backup ${UUID} failed`);
    expect(Math.max(...reads)).toBeLessThanOrEqual(3_000);
  });

  it('believes the failure once REST confirms it', async () => {
    const failed = backup('2026-01-01T00:05:00+00:00', false);
    const { ctx, clock } = fakeContext((at) => (at >= 2_100 ? failed : PENDING));
    const { events } = fakeEvents(clock, [{ at: 100, signal: failureEvent(100) }]);
    expect(await waitWithEvents(ctx, events, PENDING, START + 3_600_000, () => {})).toBe(failed);
  });
});

describe('pollUntilFinished', () => {
  const FAILED = backup('2026-01-01T00:05:00+00:00', false);
  const busy = new PanelError(409, 'ConflictHttpException', ['The server is busy.'], { method: 'GET', path: `/servers/1a2b3c4d/backups/${UUID}`, permission: undefined }, {});
  const notFound = new PanelError(404, 'NotFoundHttpException', ['gone'], { method: 'GET', path: `/servers/1a2b3c4d/backups/${UUID}`, permission: undefined }, {});

  /** Reads answered by `answers` in turn (the last one repeats), each 10 s apart on a virtual clock; the wait times out after `timeoutMs`. */
  function poll(answers: Array<Backup | Error>, timeoutMs = 3_600_000) {
    const clock = { now: START };
    const lines: string[] = [];
    const updates: Backup[] = [];
    const line = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
    const client = {
      getBackup: async () => {
        clock.now += 10_000;
        const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    const result = pollUntilFinished({
      client: client as never,
      serverId: '1a2b3c4d',
      backup: PENDING,
      deadline: START + timeoutMs,
      timeoutMs,
      intervalMs: 1,
      signal: new AbortController().signal,
      now: () => clock.now,
      log: { info: line('info'), warning: line('warning'), notice: line('notice'), debug: line('debug') },
      onUpdate: (fresh) => void updates.push(fresh),
    });
    return { result, lines, updates };
  }

  it('ends at a failed backup as at a successful one, handing every read on', async () => {
    const { result, updates } = poll([PENDING, FAILED]);
    await expect(result).resolves.toBe(FAILED);
    expect(updates).toEqual([PENDING, FAILED]);
  });

  it('says every 30 s that the backup is still running', async () => {
    const { result, lines } = poll([PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, DONE]);
    await expect(result).resolves.toBe(DONE);
    expect(lines.filter((l) => l.startsWith('info: '))).toEqual([`info: Backup ${UUID} still running after 30s.`, `info: Backup ${UUID} still running after 1m 00s.`]);
  });

  it('waits through a passing read failure but ends at a refusal', async () => {
    await expect(poll([busy, DONE]).result).resolves.toBe(DONE);
    await expect(poll([PENDING, notFound, DONE]).result).rejects.toBe(notFound);
  });

  it('names the last failed read when the wait runs out, but not one that a later read made good', async () => {
    const failing = poll([PENDING, busy], 25_000);
    await expect(failing.result).rejects.toThrow(WaitTimeoutError);
    await expect(failing.result).rejects.toThrow(/still running after wait-timeout \(25s\).* The last read of the panel failed: GET .* answered 409 ConflictHttpException: The server is busy\.$/);
    const recovered = poll([busy, PENDING], 25_000);
    await expect(recovered.result).rejects.toThrow(WaitTimeoutError);
    await expect(recovered.result).rejects.not.toThrow(/last read/);
  });
});
