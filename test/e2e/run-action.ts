import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOutputFile } from '../../scripts/lib/output-file.ts';

const ACTION = new URL('../../dist/index.js', import.meta.url).pathname;

export interface ActionRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Outputs as written to GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** The job summary file's content. */
  summary: string;
  /** `::error::` annotations, decoded. */
  errors: string[];
  /** `::warning::` annotations, decoded. */
  warnings: string[];
  durationMs: number;
  /** Peak resident memory of the action's process (Linux /proc VmHWM), when `measureMemory` was set. */
  peakRssBytes?: number;
}

export interface RunOptions {
  /** Extra environment (GITHUB_* context, proxies). */
  env?: Record<string, string>;
  cwd?: string;
  /** Sends this signal once `when` returns true for the output so far. */
  /** Sends `signal` once `when` holds; with `then`, another signal that many ms later (the runner's escalation, hurried). */
  cancel?: { signal: NodeJS.Signals; when: (stdout: string) => boolean; then?: { signal: NodeJS.Signals; afterMs: number } };
  /** Called with the output so far on every chunk (to act at a moment of the run). */
  onStdout?: (stdout: string) => void;
  timeoutMs?: number;
  /** Samples the process's peak resident memory (benchmarks). */
  measureMemory?: boolean;
}

/** The workflow context a typical run has. */
export const GITHUB_CONTEXT = {
  GITHUB_REPOSITORY: 'octo/site',
  GITHUB_SHA: 'abc1234def5678abc1234def5678abc1234def56',
  GITHUB_RUN_ID: '9876543',
  GITHUB_RUN_ATTEMPT: '1',
};

/**
 * Runs the bundled action the way the runner does: `node dist/index.js` with `INPUT_<NAME>`
 * (upper case, hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and nothing else of
 * this process's environment that could change its behaviour.
 */
export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'action-run-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...GITHUB_CONTEXT,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;

  const started = Date.now();
  const child = spawn(process.execPath, [ACTION], { env, cwd: options.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let cancelled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
    if (options.cancel && !cancelled && options.cancel.when(stdout)) {
      cancelled = true;
      child.kill(options.cancel.signal);
      const then = options.cancel.then;
      if (then) setTimeout(() => child.exitCode === null && child.kill(then.signal), then.afterMs);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
  let peakRssBytes: number | undefined;
  const sampler = options.measureMemory
    ? setInterval(() => {
        try {
          // VmHWM is the high-water mark of the resident set: the last reading is the peak.
          const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
          if (kib) peakRssBytes = Number(kib) * 1024;
        } catch {
          // The process has exited, or this is not Linux.
        }
      }, 20)
    : undefined;
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  clearTimeout(timer);
  if (sampler) clearInterval(sampler);
  const run: ActionRun = {
    exitCode,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    errors: annotations(stdout, 'error'),
    warnings: annotations(stdout, 'warning'),
    durationMs: Date.now() - started,
    ...(peakRssBytes !== undefined ? { peakRssBytes } : {}),
  };
  rmSync(dir, { recursive: true, force: true });
  return run;
}

function annotations(stdout: string, kind: 'error' | 'warning'): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`::${kind}`))
    .map((line) => line.slice(line.indexOf('::', 2) + 2).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
}

/**
 * Every place a secret could leak: the log (except the runner's own `::add-mask::` commands,
 * which the runner consumes), stderr, the summary and every output but `download-url`.
 */
export function leakedSecrets(run: ActionRun, secrets: string[]): string[] {
  const log = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const outputs = Object.entries(run.outputs)
    .filter(([name]) => name !== 'download-url')
    .map(([, value]) => value)
    .join('\n');
  const haystack = [log, run.stderr, run.summary, outputs].join('\n');
  // A secret cut by a length limit leaks too: look for any 12 characters of it.
  const fragments = (secret: string): string[] =>
    secret.length <= FRAGMENT ? [secret] : Array.from({ length: secret.length - FRAGMENT + 1 }, (_, i) => secret.slice(i, i + FRAGMENT));
  return secrets.filter((secret) => secret.length > 0 && fragments(secret).some((part) => haystack.includes(part)));
}

const FRAGMENT = 12;
