import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Backup } from '../../src/panel/types.js';
import { OutputCollector } from '../../src/report/outputs.js';
import { secrets } from '../../src/secrets.js';
import { parseOutputFile } from '../../scripts/lib/output-file.ts';
import { aBackup, BACKUP_UUID } from '../support/backup.ts';

const UUID = BACKUP_UUID;
const backup = (overrides: Partial<Backup> = {}): Backup => aBackup({ attributes: { uuid: UUID, name: 'nightly' }, ...overrides });
const running = (overrides: Partial<Backup> = {}) => backup({ uuid: 'bbbbbbbb-4e5f-4a6b-8c7d-9e0f1a2b3c4d', isSuccessful: false, checksum: null, bytes: 0, completedAt: null, ...overrides });

/** What `flush` (called `times` times) writes to GITHUB_OUTPUT. */
function flushed(outputs: OutputCollector, times = 1): string {
  const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
  try {
    writeFileSync(join(dir, 'output'), '');
    vi.stubEnv('GITHUB_OUTPUT', join(dir, 'output'));
    for (let i = 0; i < times; i++) outputs.flush();
    return readFileSync(join(dir, 'output'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OutputCollector', () => {
  it('keeps no checksum, size, download-url or path of an earlier backup when another one is set', () => {
    const outputs = new OutputCollector();
    outputs.setBackup(backup());
    outputs.setDownloadUrl('https://node.example.com/download?token=t', backup());
    outputs.setPath('/w/nightly.tar.gz');
    outputs.setBackup(running());
    const written = parseOutputFile(flushed(outputs));
    expect(written).toMatchObject({ 'backup-uuid': running().uuid, status: 'pending' });
    for (const name of ['checksum', 'bytes', 'completed-at', 'download-url', 'path']) expect(written[name], name).toBeUndefined();
  });

  it('gives a download-url only to a successful backup', () => {
    const outputs = new OutputCollector();
    outputs.setDownloadUrl('https://node.example.com/download?token=t', running());
    outputs.setDownloadUrl('https://node.example.com/download?token=f', backup({ isSuccessful: false, checksum: null, bytes: 0 }));
    expect(outputs.get('download-url')).toBeUndefined();
  });

  it('lists each deleted UUID once, and starting the list again keeps it', () => {
    const outputs = new OutputCollector();
    outputs.startDeleted();
    outputs.addDeleted('one');
    outputs.addDeleted('one');
    outputs.startDeleted();
    outputs.addDeleted('two');
    expect(JSON.parse(outputs.get('deleted')!)).toEqual(['one', 'two']);
  });

  it('reports every change to onChange, so fleet results are current when the step is killed', () => {
    const seen: Array<string | undefined> = [];
    const outputs: OutputCollector = new OutputCollector(() => seen.push(outputs.get('backup-name')));
    outputs.setSkipped(false);
    outputs.setName('nightly');
    expect(seen).toEqual([undefined, 'nightly']);
  });

  it('writes each output once, redacting secrets from every output but download-url', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    secrets.add('signed-token-0123456789');
    secrets.add('header-secret-0123456789');
    stdout.mockRestore();
    const outputs = new OutputCollector();
    const named = backup({ name: 'copied header-secret-0123456789 by mistake', attributes: { name: 'copied header-secret-0123456789 by mistake' } });
    outputs.setBackup(named);
    outputs.setDownloadUrl('https://node.example.com/download?token=signed-token-0123456789', named);
    const text = flushed(outputs, 2);
    expect(text.split('\n').filter((line) => line.startsWith('status<<'))).toHaveLength(1);
    const written = parseOutputFile(text);
    expect(written['download-url']).toBe('https://node.example.com/download?token=signed-token-0123456789');
    expect(written['backup-name']).toBe('copied *** by mistake');
    expect(JSON.parse(written.backup!)).toEqual({ name: 'copied *** by mistake' });
  });
});
