import { Output } from '../constants.js';
import type { OutputCollector } from '../report/outputs.js';

/** One entry of the `results` output: keyed like the outputs, unknown values null, `bytes` a number. */
export interface FleetResult {
  'server-id': string;
  ok: boolean;
  error: string | null;
  skipped: string | null;
  'backup-uuid': string | null;
  'backup-name': string | null;
  status: string | null;
  checksum: string | null;
  bytes: number | null;
  path: string | null;
  deleted: string[] | null;
}

/** The result of one server's run, read from the outputs it collected. */
export function resultFrom(serverId: string, outputs: OutputCollector, error: string | null, skipped: string | null): FleetResult {
  const value = (name: (typeof Output)[keyof typeof Output]): string | null => outputs.get(name) ?? null;
  const bytes = value(Output.Bytes);
  const deleted = value(Output.Deleted);
  return {
    'server-id': serverId,
    ok: error === null,
    error,
    skipped,
    'backup-uuid': value(Output.BackupUuid),
    'backup-name': value(Output.BackupName),
    status: value(Output.Status),
    checksum: value(Output.Checksum),
    bytes: bytes === null ? null : Number(bytes),
    path: value(Output.Path),
    deleted: deleted === null ? null : (JSON.parse(deleted) as string[]),
  };
}

/** A server of `all` that was not worked on, and why. */
export function skippedResult(serverId: string, reason: string): FleetResult {
  return {
    'server-id': serverId,
    ok: true,
    error: null,
    skipped: reason,
    'backup-uuid': null,
    'backup-name': null,
    status: null,
    checksum: null,
    bytes: null,
    path: null,
    deleted: null,
  };
}
