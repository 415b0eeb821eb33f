import type { Settings } from '../inputs/settings.js';
import type { HttpTransport } from '../http/transport.js';
import type { PanelClient } from '../panel/client.js';
import type { OutputCollector } from '../report/outputs.js';
import type { RunReport } from '../report/run-report.js';
import type { WorkflowContext } from '../workflow-context.js';

/** Where an operation's messages go (the runner's log through `@actions/core`). */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
  debug(message: string): void;
}

/** Everything one operation on one server needs. */
export interface OperationContext {
  settings: Settings;
  /** The server id as given (short id or UUID). */
  serverId: string;
  client: PanelClient;
  transport: HttpTransport;
  outputs: OutputCollector;
  report: RunReport;
  workflow: WorkflowContext;
  /** Aborted when the runner cancels the step. */
  signal: AbortSignal;
  now: () => number;
  /** Waits, rejecting when the step is cancelled (tests pass a virtual clock). */
  sleep: (ms: number) => Promise<void>;
  log: Log;
}
