import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha1' | 'sha256';

/**
 * The panel's `checksum` (panel-api.md §3.4): `sha1:<40 hex>` as Wings reports it
 * (Wings: server/backup/backup.go), `sha256:<64 hex>` for backups made before Aug 2020, null
 * while running and after a failure. Anything else is `unknown` (verified by size only).
 */
export type ExpectedChecksum =
  | { kind: 'digest'; algorithm: DigestAlgorithm; hex: string }
  | { kind: 'none' }
  | { kind: 'unknown'; value: string };

const FORMATS: Record<DigestAlgorithm, RegExp> = { sha1: /^[0-9a-f]{40}$/, sha256: /^[0-9a-f]{64}$/ };

export function parseChecksum(value: string | null): ExpectedChecksum {
  if (value === null || value.trim() === '') return { kind: 'none' };
  const match = /^(sha1|sha256):([0-9A-Fa-f]+)$/.exec(value.trim());
  const algorithm = match?.[1] as DigestAlgorithm | undefined;
  const hex = match?.[2]?.toLowerCase();
  if (!algorithm || !hex || !FORMATS[algorithm].test(hex)) return { kind: 'unknown', value };
  return { kind: 'digest', algorithm, hex };
}

export interface Digests {
  sha1: string;
  sha256: string | undefined;
}

/**
 * Hashes the archive in the same pass as the transfer: SHA-1 always (it is reported), SHA-256
 * only for a legacy checksum. `update` is synchronous, so hashing adds no await per chunk.
 */
export class ArchiveHasher {
  private readonly sha1: Hash = createHash('sha1');
  private readonly sha256: Hash | undefined;

  constructor(expected: ExpectedChecksum) {
    this.sha256 = expected.kind === 'digest' && expected.algorithm === 'sha256' ? createHash('sha256') : undefined;
  }

  update(chunk: Buffer): void {
    this.sha1.update(chunk);
    this.sha256?.update(chunk);
  }

  digest(): Digests {
    return { sha1: this.sha1.digest('hex'), sha256: this.sha256?.digest('hex') };
  }
}

/** The computed digest to compare with `expected`, or undefined when there is nothing to compare. */
export function actualFor(expected: ExpectedChecksum, digests: Digests): string | undefined {
  if (expected.kind !== 'digest') return undefined;
  return expected.algorithm === 'sha1' ? digests.sha1 : digests.sha256;
}
