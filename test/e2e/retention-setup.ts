import type { AddBackupOptions } from '../../simulator/types.ts';
import { panelError } from './harness.ts';
import type { Panel } from './harness.ts';

/** What the retention files share: backup builders and the panel's answers, as faults send them. */
export const daysAgo = (d: number): Date => new Date(Date.now() - d * 86_400_000);

/** A name this action gives by default in the test repository (octo/site). */
export const ours = (n: number): string => `octo/site@abc${String(n).padStart(4, '0')} run ${n}.1`;

/** Adds a backup to the current panel's server. */
export const adder =
  (panel: () => Panel) =>
  (name: string, createdAt: Date, extra: Omit<AddBackupOptions, 'name' | 'createdAt'> = {}) =>
    panel().sim.addBackup(panel().server.identifier, { name, createdAt, ...extra });

export const deletedOf = (run: { outputs: Record<string, string> }): string[] | null => JSON.parse(run.outputs.deleted ?? 'null') as string[] | null;


export const atLimit = (limit: number) =>
  panelError(400, 'TooManyBackupsException', `Cannot create a new backup, this server has reached its limit of ${limit} backups.`);
