import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ActionError } from '../errors.js';

/** A backup UUID as a file name: no separators or dots that could leave the directory. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * Where `download-path` puts the archive (interface.md, Semantics "download-path"): a relative
 * path is taken from `workspace`; `~/` is the home directory; an existing directory or a path
 * ending in a separator receives `<uuid>.tar.gz`; missing parent directories are created.
 */
export async function resolveDownloadTarget(downloadPath: string, workspace: string, uuid: string): Promise<string> {
  if (downloadPath.trim() === '') throw new ActionError('download-path is empty: give a file or directory for the archive.');
  if (!SAFE_NAME.test(uuid)) throw new ActionError(`the backup's UUID '${uuid}' cannot be used as a file name.`);
  const absolute = absoluteDownloadPath(downloadPath, workspace);
  const target = namesDirectory(downloadPath, workspace) ? join(absolute, `${uuid}.tar.gz`) : absolute;
  if (await isDirectory(target)) {
    throw new ActionError(`download-path: ${target} is a directory, so the archive cannot be written there. Give a file name or another directory.`);
  }
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    throw new ActionError(`download-path: could not create the directory ${dirname(target)} (${errorCode(error)}).`, { cause: error });
  }
  return target;
}

/** The path `download-path` names: `~/` is the home directory, a relative path starts at `workspace`. */
export function absoluteDownloadPath(downloadPath: string, workspace: string): string {
  const expanded = downloadPath === '~' || /^~[/\\]/.test(downloadPath) ? join(homedir(), downloadPath.slice(1)) : downloadPath;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(workspace, expanded);
}

/** Whether `download-path` names a directory: it ends in a separator, or is an existing directory. */
export function namesDirectory(downloadPath: string, workspace: string): boolean {
  if (/[/\\]$/.test(downloadPath)) return true;
  try {
    return statSync(absoluteDownloadPath(downloadPath, workspace)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A unique temporary name beside the target (same directory, so the final rename is atomic),
 * within the usual 255-byte limit for a name whatever the target's length.
 */
export function temporaryPathFor(target: string): string {
  let name = basename(target);
  while (Buffer.byteLength(name) > 200) name = name.slice(0, -1);
  return join(dirname(target), `.${name}.${randomBytes(6).toString('hex')}.part`);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? String(error);
}
