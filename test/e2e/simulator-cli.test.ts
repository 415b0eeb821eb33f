import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from './run-action.ts';
import { until } from '../support/wait-until.ts';

const CLI = new URL('../../simulator/cli.ts', import.meta.url).pathname;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

// The CI workflow's `uses: ./` job does this: start the simulator in the background with
// --outputs, copy the file into GITHUB_OUTPUT, and run the action with those values.
describe('npm run simulator -- --outputs FILE', () => {
  it('writes what the action needs to reach it, which a run of the action can use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const file = join(dir, 'panel.env');
    const child = spawn(process.execPath, [CLI, '--outputs', file], { stdio: 'ignore' });
    stops.push(() => child.kill('SIGTERM'));
    await until(() => existsSync(file), 'the simulator to write its outputs file', 20_000);

    const values = Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(values)).toEqual(['panel-url', 'api-key', 'server-id']);
    expect(values['panel-url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const run = await runAction({ ...values, 'allow-insecure-http': 'true', 'download-path': join(dir, 'backups') });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('successful');
    const archive = readFileSync(run.outputs.path!);
    expect(statSync(run.outputs.path!).size).toBe(Number(run.outputs.bytes));
    expect(`sha1:${createHash('sha1').update(archive).digest('hex')}`).toBe(run.outputs.checksum);
  });
});
