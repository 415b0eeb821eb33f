import type { PanelClient } from '../panel/client.js';
import { backupState } from '../panel/types.js';
import type { Backup } from '../panel/types.js';
import { formatElapsed } from '../format.js';
import { sleep } from '../time.js';
import type { Log } from '../operations/context.js';
import { WaitTimeoutError } from './errors.js';
import { isPassingReadFailure } from './passing-error.js';
import type { OperationContext } from '../operations/context.js';

export interface PollOptions {
  client: PanelClient;
  serverId: string;
  backup: Backup;
  /** Epoch ms at which to give up. */
  deadline: number;
  timeoutMs: number;
  intervalMs: number;
  signal: AbortSignal;
  now: () => number;
  log: Log;
  /** Called with every fresh read of the backup. */
  onUpdate: (backup: Backup) => void;
}

const PROGRESS_EVERY_MS = 30_000;

/**
 * Reads the backup every `intervalMs` until it has finished (panel-api.md §4.2: `completed_at`
 * set) or the deadline passes. A read that fails for a passing reason (network, 5xx, a 409
 * while the server is briefly busy) is logged and the wait goes on; a refusal (401, 403, 404)
 * ends it.
 */
export async function pollUntilFinished(options: PollOptions): Promise<Backup> {
  const { client, serverId, signal, now, log } = options;
  const started = now();
  let backup = options.backup;
  let lastProgress = started;
  let lastProblem: string | undefined;
  for (;;) {
    const remaining = options.deadline - now();
    if (remaining <= 0) throw new WaitTimeoutError(backup, options.timeoutMs, lastProblem);
    await sleep(Math.min(options.intervalMs, remaining), signal);
    try {
      backup = await client.getBackup(serverId, backup.uuid);
      lastProblem = undefined;
      options.onUpdate(backup);
    } catch (error) {
      if (!isPassingReadFailure(error)) throw error;
      lastProblem = (error as Error).message;
      log.warning(`Could not read backup ${backup.uuid} (${lastProblem}); still waiting.`);
      continue;
    }
    if (backupState(backup) !== 'pending') return backup;
    if (now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now();
      log.info(`Backup ${backup.uuid} still running after ${formatElapsed(now() - started)}.`);
    }
  }
}

/** Polls the backup of an operation until it has finished (the settings' interval and timeout). */
export function pollBackup(ctx: OperationContext, backup: Backup, deadline: number, onUpdate: (backup: Backup) => void): Promise<Backup> {
  return pollUntilFinished({
    client: ctx.client,
    serverId: ctx.serverId,
    backup,
    deadline,
    timeoutMs: ctx.settings.waitTimeoutMs,
    intervalMs: ctx.settings.pollIntervalMs,
    signal: ctx.signal,
    now: ctx.now,
    log: ctx.log,
    onUpdate,
  });
}
