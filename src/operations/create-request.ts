import { ActionError } from '../errors.js';
import { backoffDelay, CREATION_THROTTLE_CODE, DEFAULT_RETRY_LIMITS, requestedDelay } from '../http/retry-policy.js';
import { estimatePanelNow } from '../panel/clock.js';
import { PanelError } from '../panel/errors.js';
import { isUnclearFailure } from '../panel/unclear-failure.js';
import { createdAtMs } from '../panel/backups.js';
import type { Backup } from '../panel/types.js';
import { formatElapsed } from '../format.js';
import type { OperationContext } from './context.js';
import { isBackupLimitReached } from './rotation.js';

export interface CreateRequest {
  name: string;
  ignored: string[];
  locked: boolean;
}

/** The panel's clock, read from the `Date` header of an earlier answer. */
export interface PanelClock {
  panelDate: Date | undefined;
  /** Local epoch ms when that answer arrived. */
  localAt: number;
}

/** Creates in all; a create that surely failed or whose backup was not found may be sent again. */
const MAX_CREATE_ATTEMPTS = 3;
/** How often the creation throttle is waited out before giving up. */
const MAX_THROTTLE_WAITS = 3;
/** Backups rotated away at most for one create. */
const MAX_ROTATIONS = 50;
/**
 * After an ambiguous failure, how long after sending the panel may still be working on the
 * create: its own call to the daemon runs inside the request (panel-api.md §4.1). A backup not
 * listed after this long was not made.
 */
export const CREATE_SETTLE_MS = 30_000;

/**
 * Sends the create so that no duplicate is ever made. A create is sent again only when the
 * panel certainly did not make the backup: after a network error, a timeout or a 5xx, the
 * backups are listed and one with this run's name, created after the first attempt, is adopted;
 * only when none shows up (once the panel can no longer be working on the request) is the
 * create repeated. The creation throttle (429 TooManyRequestsHttpException) is waited out when
 * its Retry-After fits before the deadline.
 */
export async function createWithoutDuplicates(
  ctx: OperationContext,
  request: CreateRequest,
  clock: PanelClock,
  deadline: number,
  /** Called when the panel refuses because the server is at its limit; makes room or throws. */
  makeRoom?: (refusal: PanelError) => Promise<void>,
): Promise<{ backup: Backup; adopted: boolean }> {
  // The panel's created_at has whole seconds; allow one more for the Date header's rounding.
  const notBefore = panelNow(ctx, clock) - 2_000;
  let throttleWaits = 0;
  let rotations = 0;
  for (let attempt = 1; ; attempt++) {
    const sentAt = ctx.now();
    // Until the panel answers clearly, a cancellation must say the backup may exist.
    ctx.report.creating = request.name;
    try {
      const backup = await ctx.client.createBackup(ctx.serverId, request);
      delete ctx.report.creating;
      return { backup, adopted: false };
    } catch (error) {
      if (!ctx.signal.aborted && !isUnclearFailure(error)) delete ctx.report.creating;
      if (error instanceof PanelError && isBackupLimitReached(error) && makeRoom && rotations < MAX_ROTATIONS) {
        await makeRoom(error);
        rotations++;
        attempt--;
        continue;
      }
      if (isCreationThrottle(error)) {
        if (throttleWaits >= MAX_THROTTLE_WAITS) throw throttleError(ctx, error, undefined, makeRoom !== undefined);
        const waitMs = requestedDelay(error.headers, ctx.now());
        if (waitMs === undefined || ctx.now() + waitMs > deadline) throw throttleError(ctx, error, waitMs, makeRoom !== undefined);
        throttleWaits++;
        attempt--;
        ctx.log.info(`The panel's creation throttle refused the backup (${error.detail}); waiting ${formatElapsed(waitMs)} as it asks.`);
        await ctx.sleep(waitMs + 1_000);
        continue;
      }
      if (!isUnclearFailure(error)) throw error;
      ctx.log.warning(
        `The create request failed without a clear answer (${(error as Error).message}); checking whether the panel made the backup before trying again.`,
      );
      const adopted = await findOwnBackup(ctx, request.name, notBefore);
      if (adopted) return { backup: adopted, adopted: true };
      // The panel may still be inside the request (waiting on the daemon); look once more after that.
      const settleUntil = sentAt + CREATE_SETTLE_MS;
      if (mayStillBeProcessing(error) && ctx.now() < settleUntil) {
        ctx.log.info(`Not listed yet; looking again in ${formatElapsed(settleUntil - ctx.now())}, once the panel can no longer be working on it.`);
        await ctx.sleep(settleUntil - ctx.now());
        const late = await findOwnBackup(ctx, request.name, notBefore);
        if (late) return { backup: late, adopted: true };
      }
      if (attempt >= MAX_CREATE_ATTEMPTS) {
        throw new ActionError(
          `the backup could not be created: ${attempt} attempts failed, the last with ${(error as Error).message}. ` +
            'No backup with this name was made. Check that the panel and the node are healthy, then run again.',
          { cause: error },
        );
      }
      const delay = backoffDelay(attempt, DEFAULT_RETRY_LIMITS, Math.random);
      ctx.log.info(`No backup was made; sending the create again in ${formatElapsed(delay)}.`);
      await ctx.sleep(delay);
    }
  }
}

function panelNow(ctx: OperationContext, clock: PanelClock): number {
  // Without a Date header, allow for a minute of clock skew.
  return estimatePanelNow(clock.panelDate, clock.localAt, ctx.now()) ?? ctx.now() - 60_000;
}

async function findOwnBackup(ctx: OperationContext, name: string, notBefore: number): Promise<Backup | undefined> {
  const { backups } = await ctx.client.listBackups(ctx.serverId);
  const own = backups.filter((backup) => backup.name === name && createdAtMs(backup) >= notBefore);
  const found = own[0];
  if (!found) return undefined;
  // The unanswered create is answered now: it made this backup.
  delete ctx.report.creating;
  ctx.log.info(`Found backup ${found.uuid} ('${found.name}') made by the failed request; using it instead of creating another.`);
  if (own.length > 1) ctx.log.warning(`${own.length} backups named '${name}' appeared since the first attempt; using the newest, ${found.uuid}.`);
  return found;
}

function isCreationThrottle(error: unknown): error is PanelError {
  return error instanceof PanelError && error.status === 429 && error.code === CREATION_THROTTLE_CODE;
}

/** Only the panel's own JSON error proves it has finished with the request (and rolled back). */
function mayStillBeProcessing(error: unknown): boolean {
  return !(error instanceof PanelError && error.code !== undefined);
}

function throttleError(ctx: OperationContext, error: PanelError, waitMs: number | undefined, rotating: boolean): ActionError {
  // Pterodactyl counts soft-deleted backups in the throttle window (panel-api.md §5.4).
  const rotated = rotating ? ' Rotation cannot help here: deleting backups does not free the throttle on Pterodactyl 1.11, where deleted backups still count for its period.' : '';
  const when =
    waitMs === undefined
      ? 'The panel did not say when another backup will be allowed.'
      : `Another backup will be allowed at ${new Date(ctx.now() + waitMs).toISOString()} (in ${formatElapsed(waitMs)}), after wait-timeout runs out.`;
  return new ActionError(
    `the panel's creation throttle refused the backup: ${error.detail} ${when} ` +
      'Raise wait-timeout to wait for it, run less often, or set skip-if-newer-than to reuse a recent backup.' +
      rotated,
    { cause: error },
  );
}
