// Download benchmark of the whole action (run on demand): the bundled action downloading and
// verifying an archive from the simulator, against `curl <fresh URL> | sha1sum` (the same
// transfer and hash) from the same simulator, measured in the same run.
//
//   ./node_modules/.bin/node bench/action-download.ts [--size-mib 1024] [--runs 3]
//
// Wall time of the action includes its start-up, reading the backup, asking for URLs and the
// atomic rename; peak memory is the action process's VmHWM.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const exec = promisify(execFile);
import { startSimulator } from '../simulator/index.ts';
import { runAction } from '../test/e2e/run-action.ts';

const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '1024' }, runs: { type: 'string', default: '3' } } });
const bytes = Number(values['size-mib']) * 1024 * 1024;
const runs = Number(values.runs);

const sim = await startSimulator();
sim.settings.archiveBytes = bytes;
const server = sim.addServer({ name: 'bench' });
const backup = sim.addBackup(server.identifier, { name: 'bench' });
const dir = mkdtempSync(join(tmpdir(), 'bench-action-download-'));

async function freshUrl(): Promise<string> {
  const res = await fetch(`${sim.panelUrl}/api/client/servers/${server.identifier}/backups/${backup.uuid}/download`, {
    headers: { authorization: `Bearer ${sim.apiKey}`, accept: 'application/json' },
  });
  return ((await res.json()) as { attributes: { url: string } }).attributes.url;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const action: number[] = [];
const curl: number[] = [];
const memory: number[] = [];

async function timeCurl(): Promise<number> {
  const url = await freshUrl();
  const started = Date.now();
  // Asynchronously: the simulator serving the archive runs in this process.
  const { stdout } = await exec('bash', ['-c', 'curl -sS "$URL" | sha1sum'], { env: { ...process.env, URL: url } });
  const ms = Date.now() - started;
  if (`sha1:${stdout.split(' ')[0]}` !== backup.checksum) throw new Error('curl | sha1sum got another digest');
  return ms;
}

async function timeAction(): Promise<{ ms: number; peak: number }> {
  const started = Date.now();
  const run = await runAction(
    {
      'panel-url': sim.panelUrl,
      'api-key': sim.apiKey,
      'server-id': server.identifier,
      'allow-insecure-http': 'true',
      operation: 'download',
      'backup-id': backup.uuid,
      'download-path': `${dir}/`,
      summary: 'false',
    },
    { timeoutMs: 600_000, measureMemory: true },
  );
  const ms = Date.now() - started;
  if (run.exitCode !== 0) throw new Error(`the action failed:\n${run.stdout}`);
  rmSync(run.outputs.path!, { force: true });
  return { ms, peak: run.peakRssBytes ?? Number.NaN };
}

for (let i = 0; i < runs; i++) {
  // Alternate which goes first, so neither always meets a warm (or a busy) page cache.
  let curlMs: number;
  let result: { ms: number; peak: number };
  if (i % 2 === 0) {
    curlMs = await timeCurl();
    result = await timeAction();
  } else {
    result = await timeAction();
    curlMs = await timeCurl();
  }
  curl.push(curlMs);
  action.push(result.ms);
  memory.push(result.peak);
  console.log(`run ${i + 1}: action ${result.ms} ms, curl ${curlMs} ms, ratio ${(curlMs / result.ms).toFixed(2)}, peak ${(result.peak / 1024 / 1024).toFixed(0)} MiB`);
}
await sim.close();
rmSync(dir, { recursive: true, force: true });

const mib = bytes / 1024 / 1024;
const speed = (ms: number): string => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
const mibOf = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;
console.log(`\n${mib} MiB archive from the simulator on loopback, ${runs} run(s), medians (peak memory: median / highest):`);
console.log('| | wall time | speed | peak memory |');
console.log('|---|---|---|---|');
console.log(`| the action (download, verify, rename) | ${median(action)} ms | ${speed(median(action))} | ${mibOf(median(memory))} / ${mibOf(Math.max(...memory))} |`);
console.log(`| curl fresh URL \\| sha1sum | ${median(curl)} ms | ${speed(median(curl))} | |`);
console.log(`\nthe action's speed / curl's: ${(median(curl) / median(action)).toFixed(2)}`);
