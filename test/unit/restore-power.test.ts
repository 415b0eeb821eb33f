import { describe, expect, it } from 'vitest';
import { startServer, stateBeforeRestore, stopServer, STOP_BEFORE_KILL_MS, STOP_RESEND_MS } from '../../src/restore/power.js';
import { isFreshSince, PanelPowerWatch, RESOURCES_CACHE_MS } from '../../src/restore/power-state.js';
import type { OperationContext } from '../../src/operations/context.js';
import { NetworkError } from '../../src/http/network-error.js';
import { PanelError } from '../../src/panel/errors.js';

/** A context on a virtual clock whose server reports the given states in turn. */
function fakeContext(states: (now: number, signals: string[]) => string, lost: string[] = []) {
  let now = 0;
  const signals: string[] = [];
  const lines: string[] = [];
  const reads: number[] = [];
  const ctx = {
    serverId: '1a2b3c4d',
    signal: new AbortController().signal,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    log: { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(`warning: ${m}`), notice: () => {}, debug: () => {} },
    client: {
      sendPowerSignal: async (_id: string, signal: string) => {
        signals.push(`${signal}@${now}`);
        // The answer to this one is lost on the way back (and the signal never reached the server).
        if (lost[0] === signal) {
          lost.shift();
          signals.pop();
          throw new NetworkError('reset', 'the connection was reset');
        }
      },
      getResources: async () => {
        reads.push(now);
        return { currentState: states(now, signals), isSuspended: false };
      },
    },
  } as unknown as OperationContext;
  return { ctx, signals, lines, reads, watch: new PanelPowerWatch(ctx) };
}

describe('stopServer', () => {
  it('waits for offline after a stop, without killing', async () => {
    const { ctx, watch, signals } = fakeContext((now) => (now < 9_000 ? 'stopping' : 'offline'));
    await stopServer(ctx, 3_600_000, watch);
    expect(signals).toEqual(['stop@0']);
  });

  it('believes a stale cached running state no more than the next reading', async () => {
    // The panel caches /resources for ~20 s: it says running, then offline.
    const { ctx, watch, signals } = fakeContext((now) => (now < 20_000 ? 'running' : 'offline'));
    await stopServer(ctx, 3_600_000, watch);
    expect(signals).toEqual(['stop@0']);
  });

  it('kills a server that has not stopped within 60 s, once', async () => {
    const { ctx, watch, signals, lines } = fakeContext((_now, sent) => (sent.some((s) => s.startsWith('kill')) ? 'offline' : 'stopping'));
    await stopServer(ctx, 3_600_000, watch);
    expect(signals).toHaveLength(2);
    expect(signals[1]).toMatch(/^kill@/);
    expect(Number(signals[1]!.split('@')[1])).toBeGreaterThanOrEqual(STOP_BEFORE_KILL_MS);
    expect(lines.join('\n')).toMatch(/warning: The server has not stopped after 1m 0\ds \(state: stopping\); killing it/);
  });

  it('fails, before any restore, when even a kill does not stop it', async () => {
    const { ctx, watch, signals } = fakeContext(() => 'stopping');
    await expect(stopServer(ctx, 3_600_000, watch)).rejects.toThrow(/the server did not stop \(still stopping .* after a kill\); nothing was restored/);
    expect(signals.map((s) => s.split('@')[0])).toEqual(['stop', 'kill']);
  });

  it('gives a kill about 45 s to show before it fails', async () => {
    const { ctx, watch } = fakeContext(() => 'stopping');
    await expect(stopServer(ctx, 3_600_000, watch)).rejects.toThrow(/\(still stopping 4[5-7]s after a kill\)/);
  });

  it('sends stop at most once more, and starts the kill clock from that stop', async () => {
    // The first stop never arrives; the server ignores the second one and only a kill ends it.
    const { ctx, watch, signals } = fakeContext((_now, sent) => (sent.some((s) => s.startsWith('kill')) ? 'offline' : 'running'), ['stop']);
    await stopServer(ctx, 3_600_000, watch);
    expect(signals.map((s) => s.split('@')[0])).toEqual(['stop', 'kill']);
    const [stopAt, killAt] = signals.map((s) => Number(s.split('@')[1]));
    expect(killAt! - stopAt!).toBeGreaterThanOrEqual(STOP_BEFORE_KILL_MS);
  });

  it('sends stop once more when the first got no answer and the server is still simply running', async () => {
    const { ctx, watch, signals, lines } = fakeContext((_now, sent) => (sent.some((s) => s.startsWith('stop')) ? 'offline' : 'running'), ['stop']);
    await stopServer(ctx, 3_600_000, watch);
    // The panel's reading is fresh only after its 20 s cache; then one more stop, no kill.
    expect(signals.map((s) => s.split('@')[0])).toEqual(['stop']);
    expect(Number(signals[0]!.split('@')[1])).toBeGreaterThanOrEqual(STOP_RESEND_MS + RESOURCES_CACHE_MS);
    expect(lines.join('\n')).toMatch(/still running .* after the unanswered stop; sending stop once more/);
  });

  it("does not send stop again on the panel's cached running from before an unanswered stop", async () => {
    // The watch opened at 0; the stop goes out at 15 s and arrives, but its answer is lost. The
    // panel's cache still says running until 35 s, then stopping, then offline.
    const { ctx, watch, signals } = fakeContext((now) => (now < 35_000 ? 'running' : now < 50_000 ? 'stopping' : 'offline'));
    ctx.client.sendPowerSignal = async (_id: string, signal: string) => {
      signals.push(`${signal}@${ctx.now()}`);
      throw new NetworkError('reset', 'the connection was reset');
    };
    await ctx.sleep(15_000);
    await stopServer(ctx, 3_600_000, watch);
    expect(signals).toEqual(['stop@15000']);
  });

  it('does not send stop again while the server is stopping after an unanswered stop', async () => {
    let stopping = false;
    const { ctx, watch, signals } = fakeContext((now) => (now >= 30_000 ? 'offline' : stopping ? 'stopping' : 'running'), []);
    ctx.client.sendPowerSignal = async (_id: string, signal: string) => {
      signals.push(`${signal}@${ctx.now()}`);
      stopping = true; // it arrived; only the answer was lost
      throw new NetworkError('reset', 'the connection was reset');
    };
    await stopServer(ctx, 3_600_000, watch);
    expect(signals.map((s) => s.split('@')[0])).toEqual(['stop']);
  });

  it('fails when wait-timeout ends first', async () => {
    const { ctx, watch, reads } = fakeContext(() => 'stopping');
    await expect(stopServer(ctx, 10_000, watch)).rejects.toThrow(/did not stop within wait-timeout/);
    // It gives up before a pause would run past the deadline.
    expect(Math.max(...reads)).toBeLessThanOrEqual(10_000);
  });
});

describe('startServer', () => {
  it('reads the state instead of sending start again after a start whose answer was lost', async () => {
    const { ctx, signals, lines } = fakeContext((_now, sent) => (sent.length > 0 ? 'starting' : 'offline'));
    ctx.client.sendPowerSignal = async (_id: string, signal: string) => {
      signals.push(`${signal}@${ctx.now()}`);
      throw new NetworkError('reset', 'the connection was reset'); // it arrived; only the answer was lost
    };
    await startServer(ctx);
    expect(signals).toEqual(['start@0']);
    expect(lines).toContain('The server is starting.');
  });

  it('sends start once more when the server still reads offline after an unanswered start', async () => {
    const { ctx, signals, lines } = fakeContext(() => 'offline', ['start']);
    await startServer(ctx);
    expect(signals).toEqual(['start@0']);
    expect(lines).toContain('Sent start: the server is starting again.');
  });

  it('fails, saying to start it in the panel, when the panel refuses the start', async () => {
    const { ctx, signals } = fakeContext(() => 'offline');
    ctx.client.sendPowerSignal = async (_id: string, signal: string) => {
      signals.push(signal);
      throw new PanelError(403, 'AuthorizationException', ['This action is unauthorized.'], { method: 'POST', path: '/power', permission: 'control.start' }, {});
    };
    await expect(startServer(ctx)).rejects.toThrow(/^the server could not be started again: .*403 AuthorizationException.*Start it in the panel\.$/);
    expect(signals).toEqual(['start']);
  });
});

describe('isFreshSince', () => {
  const since = 1_000;
  it('trusts a reading taken a whole cache lifetime after the start', () => {
    expect(isFreshSince([{ state: 'offline', at: since + RESOURCES_CACHE_MS }], since)).toBe(true);
    expect(isFreshSince([{ state: 'offline', at: since + RESOURCES_CACHE_MS - 1 }], since)).toBe(false);
  });

  it('trusts a reading that differs from one taken since the start: the cache entry has changed', () => {
    expect(isFreshSince([{ state: 'running', at: since }, { state: 'offline', at: since + 3_000 }], since)).toBe(true);
    expect(isFreshSince([{ state: 'running', at: since }, { state: 'offline', at: since + 3_000 }, { state: 'offline', at: since + 6_000 }], since)).toBe(true);
  });

  it('does not trust a repeat of the same answer, nor a change against a reading from before the start', () => {
    expect(isFreshSince([{ state: 'offline', at: since }, { state: 'offline', at: since + 3_000 }], since)).toBe(false);
    expect(isFreshSince([{ state: 'running', at: since - 1 }, { state: 'offline', at: since + 3_000 }], since)).toBe(false);
    expect(isFreshSince([], since)).toBe(false);
  });
});

describe('stopServer with the panel\'s cached state', () => {
  it('does not believe an offline the cache may have held from before the stop', async () => {
    // The cache says offline (filled before the server was started) until 20 s after the first read.
    const { ctx, watch, signals, reads } = fakeContext((now) => (now < RESOURCES_CACHE_MS ? 'offline' : now < 30_000 ? 'stopping' : 'offline'));
    await stopServer(ctx, 3_600_000, watch);
    expect(signals).toEqual(['stop@0']);
    expect(ctx.now()).toBeGreaterThanOrEqual(30_000);
    expect(reads.length).toBeGreaterThan(2);
  });
});

describe('stateBeforeRestore', () => {
  it('reads an offline again once the panel\'s cache has expired, and sees the server that started meanwhile', async () => {
    const { ctx, watch, reads, lines } = fakeContext((now) => (now < RESOURCES_CACHE_MS ? 'offline' : 'running'));
    await expect(stateBeforeRestore(ctx, watch, 3_600_000, true)).resolves.toBe('running');
    expect(reads).toEqual([0, RESOURCES_CACHE_MS]);
    expect(lines.join('\n')).toMatch(/The panel shows the server offline, but that may be up to 20 s old; reading it again in 20s/);
  });

  it('takes running at its word, and an offline as it is on a dry run', async () => {
    const running = fakeContext(() => 'running');
    await expect(stateBeforeRestore(running.ctx, running.watch, 3_600_000, true)).resolves.toBe('running');
    expect(running.reads).toEqual([0]);
    const dry = fakeContext(() => 'offline');
    await expect(stateBeforeRestore(dry.ctx, dry.watch, 3_600_000, false)).resolves.toBe('offline');
    expect(dry.reads).toEqual([0]);
  });

  it('refuses when wait-timeout ends before a reliable reading', async () => {
    const { ctx, watch } = fakeContext(() => 'offline');
    await expect(stateBeforeRestore(ctx, watch, 5_000, true)).rejects.toThrow(/wait-timeout ran out before the server's power state could be read reliably; nothing was restored/);
  });
});

describe('PanelPowerWatch', () => {
  it('dates a reading by when it was asked for: a slow answer may still come from an old cache entry', async () => {
    let now = 0;
    const ctx = {
      serverId: '1a2b3c4d',
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
      client: {
        getResources: async () => {
          now += 500; // the answer takes half a second
          return { currentState: 'offline', isSuspended: false };
        },
      },
    } as unknown as OperationContext;
    const watch = new PanelPowerWatch(ctx);
    expect(await watch.read()).toEqual({ state: 'offline', fresh: false });
    await watch.pause(RESOURCES_CACHE_MS - 400 - 500); // asked at 19.6 s, answered at 20.1 s
    expect(await watch.read()).toEqual({ state: 'offline', fresh: false });
    expect(now).toBeGreaterThan(RESOURCES_CACHE_MS);
    expect(await watch.read()).toEqual({ state: 'offline', fresh: true });
  });
});
