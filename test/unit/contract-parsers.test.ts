import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseActivityEntry,
  parseBackupEnvelope,
  parseListPage,
  parseServerAttributes,
  parseServerEnvelope,
  parseSignedUrl,
  UnexpectedResponseError,
} from '../../src/panel/parse.js';
import { backupState } from '../../src/panel/types.js';

// Responses a real (Pelican) panel recorded in its own API tests: the parsers must read them.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/pelican/${name}`, import.meta.url), 'utf8'));

describe("the client's parsers read what a real panel sends", () => {
  it('backup view', () => {
    const backup = parseBackupEnvelope(fixture('backup-view.json'));
    expect(backup).toMatchObject({
      uuid: '00000000-0000-4000-8000-000000000600',
      name: 'Fixture Backup',
      isSuccessful: true,
      isLocked: false,
      checksum: null,
      bytes: 1024,
      createdAt: '2026-01-01T00:00:00+00:00',
      completedAt: '2026-01-01T00:00:00+00:00',
      ignoredFiles: [],
    });
    expect(backupState(backup)).toBe('successful');
    // The `backup` output carries the attributes as sent, Pelican's extra keys included.
    expect(backup.attributes).toHaveProperty('is_scheduled', false);
  });

  it('backup index with meta.backup_count and pagination', () => {
    const page = parseListPage(fixture('backup-index.json'), (item) => parseBackupEnvelope(item), 'the backup list');
    expect(page.items).toHaveLength(1);
    expect(page.currentPage).toBe(1);
    expect(page.totalPages).toBe(1);
    expect(page.meta.backup_count).toBe(1);
  });

  it('server view with user permissions and the backup limit', () => {
    const server = parseServerEnvelope(fixture('server-view.json'));
    expect(server).toMatchObject({
      identifier: 'fixture',
      uuid: '00000000-0000-4000-8000-000000000400',
      status: null,
      isSuspended: false,
      backupLimit: 0,
      permissions: ['*'],
    });
  });

  it('client server list', () => {
    const page = parseListPage(fixture('client-index-paginated.json'), (item) => parseServerAttributes((item as { attributes: unknown }).attributes), 'servers');
    expect(page.items[0]).toMatchObject({ identifier: 'fixture', name: 'Fixture Server' });
  });

  it('activity log', () => {
    const page = parseListPage(fixture('activity-index.json'), parseActivityEntry, 'activity');
    expect(page.items[0]).toMatchObject({ event: 'server:power.start', timestamp: '2026-01-01T00:00:00+00:00' });
  });
});

describe('an answer of the wrong shape is refused, not half-read', () => {
  const attributes = (fixture('backup-view.json') as { attributes: Record<string, unknown> }).attributes;
  const list = (body: unknown) => () => parseListPage(body, (item) => parseBackupEnvelope(item), 'the backup list');
  const pagination = { pagination: { current_page: 1, total_pages: 1 } };

  it.each([
    ['a list instead of a backup', () => parseBackupEnvelope({ object: 'list', attributes }), 'the backup is not a backup object'],
    ['attributes that are an array', () => parseBackupEnvelope({ object: 'backup', attributes: [attributes] }), "the backup's attributes is not a JSON object"],
    ['bytes that are not a finite number', () => parseBackupEnvelope({ object: 'backup', attributes: { ...attributes, bytes: Infinity } }), "the backup: 'bytes' is not a number"],
    ['is_locked as a string', () => parseBackupEnvelope({ object: 'backup', attributes: { ...attributes, is_locked: 'false' } }), "the backup: 'is_locked' is not a boolean"],
    ['ignored_files that are not strings', () => parseBackupEnvelope({ object: 'backup', attributes: { ...attributes, ignored_files: [1] } }), "the backup: 'ignored_files' is not an array of strings"],
    ['a backup instead of a list', list({ object: 'backup', data: [], meta: pagination }), 'the backup list is not a list'],
    ['a list without data', list({ object: 'list', data: {}, meta: pagination }), 'the backup list is not a list'],
    ['a download link of another kind', () => parseSignedUrl({ object: 'backup', attributes: { url: 'https://x' } }), 'the download link is not a signed_url object'],
  ])('%s', (_, parse, message) => {
    expect(parse).toThrow(UnexpectedResponseError);
    expect(parse).toThrow(message);
  });
});
