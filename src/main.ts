import * as core from '@actions/core';
import { installCancellation } from './cancellation.js';
import { Input, Output } from './constants.js';
import { ActionError, CancelledError } from './errors.js';
import { HttpTransport } from './http/transport.js';
import { readInputs } from './inputs/read-inputs.js';
import type { Settings } from './inputs/settings.js';
import type { Log } from './operations/context.js';
import { runFleet, unansweredCreate } from './fleet/run-fleet.js';
import { RateBudget } from './http/rate-budget.js';
import { runOperation } from './operations/run-operation.js';
import { PanelClient } from './panel/client.js';
import { describeFailure, unexpectedTrace } from './report/describe-failure.js';
import { OutputCollector } from './report/outputs.js';
import { newRunReport } from './report/run-report.js';
import type { RunReport } from './report/run-report.js';
import { writeSummary } from './report/summary.js';
import { inert } from './report/workflow-commands.js';
import { secrets } from './secrets.js';
import { sleep } from './time.js';
import { VERSION } from './version.js';
import { readWorkflowContext } from './workflow-context.js';
import { checkDeletionScope } from './retention/deletion-matcher.js';
import { removeTemporariesNow } from './download/temporary-files.js';

const log: Log = {
  info: (message) => core.info(inert(secrets.redact(message))),
  warning: (message) => core.warning(secrets.redact(message)),
  notice: (message) => core.notice(secrets.redact(message)),
  debug: (message) => core.debug(secrets.redact(message)),
};

/**
 * The action: read the inputs, run the operation, and on every exit path (success, failure,
 * timeout, cancellation) write the outputs and the job summary. Never rejects.
 */
export async function run(): Promise<void> {
  const now = Date.now;
  const outputs = new OutputCollector();
  const report = newRunReport(now());
  let settings: Settings | undefined;
  let serverId: string | undefined;
  let finished = false;

  const fail = (error: unknown): void => {
    const trace = unexpectedTrace(error);
    if (trace) log.info(secrets.scrub(trace));
    const message = secrets.redact(describeFailure(error, { serverId }));
    report.error = message;
    core.setFailed(message);
  };
  const cancellation = installCancellation(
    (error) => log.info(`Received ${error.signal}: cancelling.`),
    (error) => {
      // The graceful path did not finish in time: write what is known and leave.
      if (finished) return;
      removeTemporariesNow();
      try {
        outputs.flush();
      } catch {
        // Leaving now regardless: the message below still goes out.
      }
      core.setFailed(secrets.redact(cancellationMessage(error, outputs, serverId, report)));
      process.exit(1);
    },
  );
  const transport = new HttpTransport({ userAgent: `pterodactyl-backup-action/${VERSION} (GitHub Action; node ${process.version})` });

  try {
    const parsed = readInputs();
    settings = parsed.settings;
    for (const warning of parsed.warnings) log.warning(warning);
    report.operation = settings.operation;
    report.dryRun = settings.dryRun;
    const client = new PanelClient({
      baseUrl: settings.panelUrl,
      apiKey: settings.apiKey,
      headers: settings.headers,
      transport,
      signal: cancellation.signal,
      budget: new RateBudget(now),
      log: log.info,
    });
    const workflow = readWorkflowContext();
    const scope = checkDeletionScope(settings, workflow);
    if (scope.error) throw new ActionError(scope.error);
    if (scope.warning) log.warning(scope.warning);
    const base = {
      settings,
      client,
      transport,
      workflow,
      signal: cancellation.signal,
      now,
      sleep: (ms: number) => sleep(ms, cancellation.signal),
    };
    if (settings.servers.mode === 'single') {
      serverId = settings.servers.id;
      report.server = { id: serverId };
      await runOperation({ ...base, serverId, outputs, report, log });
    } else {
      await runFleet(base, outputs, report, log);
    }
  } catch (error) {
    const cancelled = cancellation.signal.reason;
    fail(cancelled instanceof CancelledError ? new ActionError(cancellationMessage(cancelled, outputs, undefined, report)) : error);
  } finally {
    finished = true;
    try {
      outputs.flush();
    } catch (error) {
      // The runner's output file is missing or unwritable: still fail with a message, never
      // reject, and never in place of the failure that ended the run.
      const why = `outputs could not be written (${(error as Error).message}); GITHUB_OUTPUT must name a writable file.`;
      if (report.error === undefined) fail(new ActionError(`the step's ${why}`));
      else log.warning(`The step's ${why}`);
    }
    if (shouldWriteSummary(settings)) await writeSummary(report, now());
    await transport.close();
    cancellation.dispose();
  }
}

/** Says the step was cancelled, naming every backup this run started that is still running. */
function cancellationMessage(error: CancelledError, outputs: OutputCollector, serverId: string | undefined, report: RunReport): string {
  const where = serverId ? `Server ${serverId}: ` : '';
  const fleet = report.fleet;
  if (fleet) {
    const running = fleet.filter((result) => result.status === 'pending' && result['backup-uuid']);
    const unanswered = fleet.filter((result) => !result['backup-uuid'] && result.error?.endsWith(unansweredCreate(result['backup-name'] ?? '')));
    return (
      `the step was ${error.message}.` +
      (running.length > 0
        ? ` Still running on the panel, and will finish on their own (look them up with operation: get): ${running
            .map((result) => `server ${result['server-id']}: backup ${result['backup-uuid']} ('${result['backup-name'] ?? ''}')`)
            .join('; ')}.`
        : '') +
      (unanswered.length > 0
        ? ` Create requests sent but not answered, which the panel may have started (look for them with operation: list): ${unanswered
            .map((result) => `server ${result['server-id']}: '${result['backup-name'] ?? ''}'`)
            .join('; ')}.`
        : '')
    );
  }
  const uuid = outputs.get(Output.BackupUuid);
  const running = outputs.get(Output.Status) === 'pending' && uuid;
  const mayExist = !uuid && report.creating !== undefined;
  return (
    `${where}the step was ${error.message}.` +
    (running
      ? ` Backup ${uuid} ('${outputs.get(Output.BackupName) ?? ''}') is still running on the panel and will finish on its own; look it up with operation: get and backup-id: ${uuid}.`
      : '') +
    (mayExist ? ` ${unansweredCreate(report.creating!)}` : '')
  );
}

/** `summary: false` turns it off; with unreadable inputs the raw value still decides. */
function shouldWriteSummary(settings: Settings | undefined): boolean {
  if (settings) return settings.summary;
  return !/^false$/i.test(core.getInput(Input.Summary));
}
