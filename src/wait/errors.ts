import { ActionError } from '../errors.js';
import { formatElapsed } from '../format.js';
import type { Backup } from '../panel/types.js';

/** The wait ran out while the backup was still running. */
export class WaitTimeoutError extends ActionError {
  readonly backup: Backup;
  constructor(backup: Backup, timeoutMs: number, lastProblem: string | undefined) {
    super(
      `backup ${backup.uuid} ('${backup.name}') is still running after wait-timeout (${formatElapsed(timeoutMs)}). ` +
        'It goes on on the panel: look it up later with operation: get and this backup-id, or raise wait-timeout. ' +
        'The panel marks a backup that is still unfinished after 6 hours as failed.' +
        (lastProblem ? ` The last read of the panel failed: ${lastProblem}` : ''),
    );
    this.name = 'WaitTimeoutError';
    this.backup = backup;
  }
}
