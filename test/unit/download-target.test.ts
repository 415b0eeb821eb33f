import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveDownloadTarget, temporaryPathFor } from '../../src/download/target-path.js';
import { ActionError } from '../../src/errors.js';

const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
let workspace: string;

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'dl-target-'));
});
afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
});

describe('resolveDownloadTarget', () => {
  it('takes a relative file path from the workspace and creates missing parents', async () => {
    const target = await resolveDownloadTarget('out/nested/server.tar.gz', workspace, UUID);
    expect(target).toBe(join(workspace, 'out', 'nested', 'server.tar.gz'));
    expect(statSync(dirname(target)).isDirectory()).toBe(true);
  });

  it('puts <uuid>.tar.gz into a path that ends with a slash, creating it', async () => {
    const target = await resolveDownloadTarget('backups/', workspace, UUID);
    expect(target).toBe(join(workspace, 'backups', `${UUID}.tar.gz`));
    expect(statSync(join(workspace, 'backups')).isDirectory()).toBe(true);
  });

  it('puts <uuid>.tar.gz into an existing directory given without a slash', async () => {
    mkdirSync(join(workspace, 'existing'));
    expect(await resolveDownloadTarget('existing', workspace, UUID)).toBe(join(workspace, 'existing', `${UUID}.tar.gz`));
    expect(await resolveDownloadTarget('.', workspace, UUID)).toBe(join(workspace, `${UUID}.tar.gz`));
    expect(await resolveDownloadTarget(workspace, '/elsewhere', UUID)).toBe(join(workspace, `${UUID}.tar.gz`));
  });

  it('keeps an absolute path and normalises it', async () => {
    const target = await resolveDownloadTarget(join(workspace, 'a', '..', 'b', 'x.tgz'), '/ignored', UUID);
    expect(target).toBe(join(workspace, 'b', 'x.tgz'));
  });

  it('accepts an existing file as the target (it is replaced after verification)', async () => {
    writeFileSync(join(workspace, 'old.tar.gz'), 'old');
    expect(await resolveDownloadTarget('old.tar.gz', workspace, UUID)).toBe(join(workspace, 'old.tar.gz'));
  });

  it('expands ~/ to the home directory', async () => {
    vi.stubEnv('HOME', workspace);
    expect(await resolveDownloadTarget('~/archives/', '/ignored', UUID)).toBe(join(workspace, 'archives', `${UUID}.tar.gz`));
  });

  it('refuses when <uuid>.tar.gz inside the directory is itself a directory', async () => {
    mkdirSync(join(workspace, 'd', `${UUID}.tar.gz`), { recursive: true });
    await expect(resolveDownloadTarget('d', workspace, UUID)).rejects.toThrow(/download-path: .* is a directory/);
  });

  it('names download-path when a parent is a file', async () => {
    writeFileSync(join(workspace, 'file'), 'x');
    const error = await resolveDownloadTarget('file/sub/x.tar.gz', workspace, UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toMatch(/^download-path: could not create the directory .*\(E(NOTDIR|EXIST)\)/);
  });

  it('refuses an empty path and a UUID that is not a plain file name', async () => {
    await expect(resolveDownloadTarget('  ', workspace, UUID)).rejects.toBeInstanceOf(ActionError);
    await expect(resolveDownloadTarget('out/', workspace, '../../etc/passwd')).rejects.toThrow(/cannot be used as a file name/);
    await expect(resolveDownloadTarget('out/', workspace, '.hidden')).rejects.toBeInstanceOf(ActionError);
  });
});

describe('temporaryPathFor', () => {
  it('is a unique hidden .part file in the same directory', () => {
    const target = join(workspace, `${UUID}.tar.gz`);
    const a = temporaryPathFor(target);
    const b = temporaryPathFor(target);
    expect(dirname(a)).toBe(workspace);
    expect(basename(a)).toMatch(new RegExp(`^\\.${UUID}\\.tar\\.gz\\.[0-9a-f]{12}\\.part$`));
    expect(a).not.toBe(b);
  });

  it('stays within 255 bytes for a long target name', () => {
    const long = temporaryPathFor(join(workspace, `${'é'.repeat(120)}.tar.gz`));
    expect(Buffer.byteLength(basename(long))).toBeLessThanOrEqual(255);
    expect(basename(long)).toMatch(/^\.é+\.[0-9a-f]{12}\.part$/);
  });
});
