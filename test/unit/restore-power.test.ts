import { describe, expect, it } from 'vitest';
import { stopServer, STOP_BEFORE_KILL_MS } from '../../src/restore/power.js';
import type { OperationContext } from '../../src/operations/context.js';

/** A context on a virtual clock whose server reports the given states in turn. */
function fakeContext(states: (now: number, signals: string[]) => string) {
  let now = 0;
  const signals: string[] = [];
  const lines: string[] = [];
  const ctx = {
    serverId: '1a2b3c4d',
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    log: { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(`warning: ${m}`), notice: () => {}, debug: () => {} },
    client: {
      sendPowerSignal: async (_id: string, signal: string) => {
        signals.push(`${signal}@${now}`);
      },
      getResources: async () => ({ currentState: states(now, signals), isSuspended: false }),
    },
  } as unknown as OperationContext;
  return { ctx, signals, lines };
}

describe('stopServer', () => {
  it('waits for offline after a stop, without killing', async () => {
    const { ctx, signals } = fakeContext((now) => (now < 9_000 ? 'stopping' : 'offline'));
    await stopServer(ctx, 3_600_000);
    expect(signals).toEqual(['stop@0']);
  });

  it('believes a stale cached running state no more than the next reading', async () => {
    // The panel caches /resources for ~20 s: it says running, then offline.
    const { ctx, signals } = fakeContext((now) => (now < 20_000 ? 'running' : 'offline'));
    await stopServer(ctx, 3_600_000);
    expect(signals).toEqual(['stop@0']);
  });

  it('kills a server that has not stopped within 60 s, once', async () => {
    const { ctx, signals, lines } = fakeContext((_now, sent) => (sent.some((s) => s.startsWith('kill')) ? 'offline' : 'stopping'));
    await stopServer(ctx, 3_600_000);
    expect(signals).toHaveLength(2);
    expect(signals[1]).toMatch(/^kill@/);
    expect(Number(signals[1]!.split('@')[1])).toBeGreaterThanOrEqual(STOP_BEFORE_KILL_MS);
    expect(lines.join('\n')).toMatch(/warning: The server has not stopped after 1m 0\ds \(state: stopping\); killing it/);
  });

  it('fails, before any restore, when even a kill does not stop it', async () => {
    const { ctx, signals } = fakeContext(() => 'stopping');
    await expect(stopServer(ctx, 3_600_000)).rejects.toThrow(/the server did not stop \(still stopping .* after a kill\); nothing was restored/);
    expect(signals.map((s) => s.split('@')[0])).toEqual(['stop', 'kill']);
  });

  it('fails when wait-timeout ends first', async () => {
    const { ctx } = fakeContext(() => 'stopping');
    await expect(stopServer(ctx, 10_000)).rejects.toThrow(/did not stop within wait-timeout/);
  });
});
