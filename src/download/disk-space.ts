import { statfs as fsStatfs } from 'node:fs/promises';
import { ActionError } from '../errors.js';
import { formatBytes } from '../format.js';
import type { Log } from '../operations/context.js';

/** The part of `fs.statfs` the check needs (tests inject their own). */
export type StatFs = (path: string) => Promise<{ bavail: number; bsize: number }>;

/** Bytes an unprivileged process may still write on the file system holding `directory`. */
export async function freeBytes(directory: string, statfs: StatFs = fsStatfs): Promise<number> {
  const stats = await statfs(directory);
  return stats.bavail * stats.bsize;
}

/**
 * Refuses early when `directory` cannot hold `needed` bytes, rather than failing with ENOSPC
 * after most of the transfer. A file system that cannot say (statfs unsupported) is not checked.
 */
export async function ensureFreeSpace(directory: string, needed: number, log: Log, statfs?: StatFs): Promise<void> {
  let free: number;
  try {
    free = await freeBytes(directory, statfs);
  } catch (error) {
    log.debug(`Free disk space in ${directory} is unknown (${(error as { code?: string }).code ?? String(error)}); not checked.`);
    return;
  }
  if (free < needed) {
    throw new ActionError(
      `not enough free disk space in ${directory}: the archive needs ${formatBytes(needed)} (${needed} bytes) but only ${formatBytes(free)} (${free} bytes) is free. ` +
        'Free some space on the runner or choose another download-path.',
    );
  }
  log.debug(`Free disk space in ${directory}: ${formatBytes(free)}; the archive needs ${formatBytes(needed)}.`);
}
