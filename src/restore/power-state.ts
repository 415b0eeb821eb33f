import type { OperationContext } from '../operations/context.js';

export type PowerState = 'running' | 'offline' | 'starting' | 'stopping' | string;

/**
 * The panel answers `GET /resources` from a cache entry that lives 20 s from the moment it was
 * filled (Panel: app/Http/Controllers/Api/Client/Servers/ResourceUtilizationController.php), so
 * a reading can be up to 20 s old.
 */
export const RESOURCES_CACHE_MS = 20_000;

export interface PowerReading {
  state: PowerState;
  /** When it was asked for (epoch ms). */
  at: number;
}

/**
 * Whether the newest of `readings` (in the order taken) surely shows the server as it was at or
 * after `since`. A reading taken `cacheMs` after `since` does: its cache entry was filled after
 * `since`. So does one that differs from an earlier reading taken since then, because the cache
 * only changes once the earlier entry has expired, which is after that earlier read.
 */
export function isFreshSince(readings: readonly PowerReading[], since: number, cacheMs = RESOURCES_CACHE_MS): boolean {
  const newest = readings.at(-1);
  if (!newest) return false;
  if (newest.at - since >= cacheMs) return true;
  return readings.some((reading) => reading.at >= since && reading.state !== newest.state);
}

/** Where the action learns the server's power state during a restore. */
export interface PowerWatch {
  /** For the log: where the states come from. */
  readonly describe: string;
  /** How old a reading may be: a reading taken this long after an event shows the server after it. */
  readonly lagMs: number;
  /** The state now, and whether it surely shows the server as it is since the watch began. */
  read(): Promise<{ state: PowerState; fresh: boolean }>;
  /** How long until a reading will be fresh whatever it shows (0 for a live watch). */
  untilFresh(): number;
  /** Waits up to `ms`; a live watch returns as soon as the state changes. */
  pause(ms: number): Promise<void>;
  close(): void;
}

/** The panel's `GET /resources`, minding its cache: only readings shown to be fresh count. */
export class PanelPowerWatch implements PowerWatch {
  readonly describe = 'the panel, which caches it for up to 20 s';
  readonly lagMs = RESOURCES_CACHE_MS;
  private readonly readings: PowerReading[] = [];
  private readonly since: number;
  private readonly ctx: OperationContext;

  constructor(ctx: OperationContext) {
    this.ctx = ctx;
    this.since = ctx.now();
  }

  async read(): Promise<{ state: PowerState; fresh: boolean }> {
    // The time of asking, not of the answer: a slow answer may still come from an old entry.
    const at = this.ctx.now();
    const { currentState } = await this.ctx.client.getResources(this.ctx.serverId);
    this.readings.push({ state: currentState, at });
    return { state: currentState, fresh: isFreshSince(this.readings, this.since) };
  }

  untilFresh(): number {
    return Math.max(0, this.since + RESOURCES_CACHE_MS - this.ctx.now());
  }

  pause(ms: number): Promise<void> {
    return this.ctx.sleep(ms);
  }

  close(): void {
    // Nothing to release.
  }
}
