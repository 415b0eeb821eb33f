import { ActionError } from '../errors.js';
import type { Log, OperationContext } from '../operations/context.js';
import { runOperation } from '../operations/run-operation.js';
import { describeFailure, unexpectedTrace } from '../report/describe-failure.js';
import { OutputCollector } from '../report/outputs.js';
import { newRunReport } from '../report/run-report.js';
import type { RunReport } from '../report/run-report.js';
import { secrets } from '../secrets.js';
import { mapWithLimit } from './map-limit.js';
import { resultFrom, skippedResult } from './result.js';
import type { FleetResult } from './result.js';

/** What every server's run shares: settings, the panel client (and its rate budget), the clock. */
export type FleetBase = Omit<OperationContext, 'serverId' | 'outputs' | 'report' | 'log'>;

interface Target {
  id: string;
  skip?: string;
}

/**
 * Fleet mode (`server-id` a list or `all`): the operation runs for each server, at most
 * `concurrency` at once, all sharing one rate-limit budget. Single-value outputs stay empty;
 * `results` has one entry per server; the step fails if any server failed, after all were tried.
 */
export async function runFleet(base: FleetBase, outputs: OutputCollector, report: RunReport, log: Log): Promise<void> {
  // Valid JSON from the start: a later step's fromJSON() must not break when listing the servers fails.
  outputs.setResults([]);
  const targets = await fleetTargets(base, log);
  const results: Array<FleetResult | undefined> = targets.map((target) => (target.skip ? skippedResult(target.id, target.skip) : undefined));
  /** The outputs of servers being worked on, so that `results` is current even if the step is killed mid-run. */
  const inFlight = new Map<number, OutputCollector>();
  const publish = (): void => {
    const known = results.map((result, index) => {
      if (result) return result;
      const id = targets[index]!.id;
      const running = inFlight.get(index);
      return running ? resultFrom(id, running, `Server ${id}: did not finish (the step ended first).`, null) : notRun(id);
    });
    outputs.setResults(known);
    report.fleet = known;
  };
  log.info(`Working on ${targets.length} server(s), ${base.settings.concurrency} at a time.`);
  try {
    await mapWithLimit(targets, base.settings.concurrency, async (target, index) => {
      // After a cancellation, servers not yet begun stay 'not run'.
      if (target.skip || base.signal.aborted) return;
      const serverOutputs = new OutputCollector(publish);
      inFlight.set(index, serverOutputs);
      results[index] = await runOnServer(base, target.id, serverOutputs, log);
      inFlight.delete(index);
      publish();
    });
  } finally {
    publish();
  }
  if (base.signal.aborted) throw base.signal.reason;
  const failed = results.filter((result): result is FleetResult => result !== undefined && !result.ok);
  if (failed.length > 0) {
    throw new ActionError(
      `${failed.length} of ${targets.length} server(s) failed:\n${failed.map((result) => `- ${result.error}`).join('\n')}`,
    );
  }
}

/** The servers to work on: the list as given, or every server the key can see. */
async function fleetTargets(base: FleetBase, log: Log): Promise<Target[]> {
  const servers = base.settings.servers;
  if (servers.mode === 'list') return servers.ids.map((id) => ({ id }));
  const visible = await base.client.listServers();
  if (visible.length === 0) {
    // A nightly run that quietly does nothing would go unnoticed: say so where it shows.
    log.warning("server-id: all found no server: the key's user owns none and is a subuser of none. Nothing was done. Check that api-key belongs to the right account.");
  } else {
    log.info(`server-id: all found ${visible.length} server(s).`);
  }
  return visible.map((server) => {
    const skip = server.isSuspended ? 'suspended' : server.backupLimit === 0 ? 'backup limit is 0' : undefined;
    if (skip) log.notice(`Skipping server ${server.identifier} (${server.name}): ${skip}.`);
    return skip ? { id: server.identifier, skip } : { id: server.identifier };
  });
}

/** One server's run, with its own outputs and report, its log lines prefixed with its id. */
async function runOnServer(base: FleetBase, serverId: string, outputs: OutputCollector, log: Log): Promise<FleetResult> {
  const prefix = (message: string): string => `[${serverId}] ${message}`;
  const serverLog: Log = {
    info: (message) => log.info(prefix(message)),
    warning: (message) => log.warning(prefix(message)),
    notice: (message) => log.notice(prefix(message)),
    debug: (message) => log.debug(prefix(message)),
  };
  const report = newRunReport(base.now());
  report.server = { id: serverId };
  try {
    await runOperation({ ...base, serverId, outputs, report, log: serverLog });
    const skipped = outputs.get('skipped') === 'true' ? `a recent backup (${outputs.get('backup-uuid') ?? ''}) is new enough (skip-if-newer-than)` : null;
    return resultFrom(serverId, outputs, null, skipped);
  } catch (error) {
    // Cancelled: keep what this server's run knew (a backup it started is still running).
    if (base.signal.aborted) {
      const unanswered = report.creating !== undefined && !outputs.get('backup-uuid') ? ` ${unansweredCreate(report.creating)}` : '';
      return resultFrom(serverId, outputs, `Server ${serverId}: cancelled before it finished.${unanswered}`, null);
    }
    const trace = unexpectedTrace(error);
    if (trace) serverLog.info(secrets.scrub(trace));
    const message = secrets.redact(describeFailure(error, { serverId }));
    // The message names the server already ("Server <id>: …").
    log.warning(message);
    return resultFrom(serverId, outputs, message, null);
  }
}

/** Said when the step ends while a create request is out without an answer. */
export function unansweredCreate(name: string): string {
  return `The request to create backup '${name}' was sent but not answered: the panel may have started it. Look for it with operation: list.`;
}

function notRun(serverId: string): FleetResult {
  return { ...skippedResult(serverId, 'not run'), ok: false, skipped: null, error: `Server ${serverId}: not run (the step ended first).` };
}
