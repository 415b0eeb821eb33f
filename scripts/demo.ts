// `npm run demo`: runs the bundled action (dist/index.js) the way the runner does, against the
// embedded panel and Wings simulator on 127.0.0.1: create a backup, wait for it, download and
// verify the archive, then print the outputs. Nothing leaves this machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../simulator/index.ts';
import { parseOutputFile } from './lib/output-file.ts';

const root = new URL('..', import.meta.url).pathname;
const sim = await startSimulator();
sim.settings.backupDurationMs = 2_500;
sim.settings.archiveBytes = 8 * 1024 * 1024;
const server = sim.addServer({ name: 'Survival (demo)', backupLimit: 5 });
sim.addBackup(server.identifier, { name: 'octo/site@1111111 run 100.1', createdAt: new Date(Date.now() - 86_400_000) });

const work = mkdtempSync(join(tmpdir(), 'ptero-demo-'));
const outputFile = join(work, 'github_output');
const summaryFile = join(work, 'step_summary.md');
writeFileSync(outputFile, '');
writeFileSync(summaryFile, '');

const inputs: Record<string, string> = {
  'panel-url': sim.panelUrl,
  'api-key': sim.apiKey,
  'server-id': server.identifier,
  operation: 'create',
  'poll-interval': '1s',
  'wait-timeout': '2m',
  'download-path': 'backups/',
  'allow-insecure-http': 'true', // the simulator speaks plain HTTP on loopback
};

console.log(`Simulated panel at ${sim.panelUrl}, server ${server.identifier}.`);
console.log('Running dist/index.js as the runner would (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY):\n');
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  GITHUB_OUTPUT: outputFile,
  GITHUB_STEP_SUMMARY: summaryFile,
  GITHUB_REPOSITORY: 'octo/site',
  GITHUB_SHA: 'abc1234def5678abc1234def5678abc1234def56',
  GITHUB_RUN_ID: '9876543',
  GITHUB_RUN_ATTEMPT: '1',
};
for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;

const child = spawn(process.execPath, [join(root, 'dist/index.js')], { env, cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.setEncoding('utf8');
let buffered = '';
child.stdout.on('data', (chunk: string) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  // Show the log as the runner would: workflow commands are consumed, not printed.
  for (const line of lines) if (!line.startsWith('::add-mask::') && !line.startsWith('::debug::')) console.log(`  | ${line}`);
});
const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));

const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
console.log(`\nThe action exited with code ${exitCode}. Its outputs:`);
for (const [name, value] of Object.entries(outputs)) {
  const shown = name === 'download-url' ? '*** (a signed URL; masked in real logs, single use)' : name === 'backup' ? `${value.slice(0, 90)}…` : value;
  console.log(`  ${name.padEnd(13)} ${shown}`);
}
console.log(`\nThe job summary (${summaryFile}) has ${readFileSync(summaryFile, 'utf8').length} characters of HTML.`);
await sim.close();
rmSync(work, { recursive: true, force: true });
process.exitCode = exitCode === 0 ? 0 : 1;

