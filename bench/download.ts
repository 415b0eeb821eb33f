// `node bench/download.ts [--size-mib 1024] [--runs 3] [--dir /tmp] [--stripped]`: the archive
// download module against `curl | sha1sum` on loopback, in one run. This process serves a
// deterministic archive behind single-use URLs (as Wings does, wings.md §4.3) and a `/url` route
// that hands out a fresh one (the panel's part). Each measurement runs in its own child process:
//   - module:        bench/download-child.ts, one downloadArchive() call (stream to a temporary
//                    file, SHA-1 in the same pass, verify, rename); by default bundled by ncc first,
//                    as the action ships, or run by Node's type stripping with --stripped;
//   - curl | sha1sum (transfer and hash, nothing written: the baseline);
//   - curl | tee | sha1sum (the module's whole work: transfer, hash and write the file).
// Speeds are medians over the runs; see bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

await parent();

// ---------------------------------------------------------------------------------------------
// Parent: the loopback "panel + daemon", the baselines, and the report.

async function parent(): Promise<void> {
  const size = Math.round(Number(option('size-mib', '1024')) * MiB);
  const runs = Math.max(1, Number(option('runs', '3')));
  const base = option('dir', tmpdir());

  // 16 MiB of seeded bytes, repeated: serving costs no CPU beyond the copy to the socket.
  const block = Buffer.alloc(16 * MiB);
  for (let i = 0, seed = createHash('sha256').update('bench').digest(); i < block.length; i += seed.length) {
    seed = createHash('sha256').update(seed).digest();
    seed.copy(block, i);
  }
  const hash = createHash('sha1');
  for (let offset = 0; offset < size; offset += block.length) hash.update(block.subarray(0, Math.min(block.length, size - offset)));
  const sha1 = hash.digest('hex');

  const tokens = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/url') {
      const token = randomBytes(24).toString('base64url');
      tokens.add(token);
      res.end(`${origin}/download/backup?token=${token}`);
      return;
    }
    const token = url.searchParams.get('token') ?? '';
    if (!tokens.delete(token)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"The requested resource was not found on this server."}');
      return;
    }
    void serveArchive(res, block, size);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const freshUrl = async (): Promise<string> => (await fetch(`${origin}/url`)).text();

  const child = childEntry(process.argv.includes('--stripped'));
  const results = { module: [] as number[], moduleProcess: [] as number[], rss: [] as number[], rssBase: [] as number[], curl: [] as number[], curlTee: [] as number[] };
  console.log(`Archive: ${size / MiB} MiB (sha1 ${sha1}), ${runs} run(s), files in ${base}; Node ${process.version}; module ${child.endsWith('.ts') ? 'run by type stripping' : 'bundled by ncc'}.`);
  for (let run = 1; run <= runs; run++) {
    const dir = mkdtempSync(join(base, 'bench-download-'));
    try {
      const started = performance.now();
      const out = await exec(process.execPath, [child, origin, String(size), sha1, dir]);
      const processMs = performance.now() - started;
      const report = JSON.parse(out) as { durationMs: number; attempts: number; rssAfterImportKiB: number; maxRssKiB: number };
      if (report.attempts !== 1) throw new Error(`the module needed ${report.attempts} attempts`);
      results.module.push(size / (report.durationMs / 1000));
      results.moduleProcess.push(size / (processMs / 1000));
      results.rss.push(report.maxRssKiB / 1024);
      results.rssBase.push(report.rssAfterImportKiB / 1024);

      const curl = await timed('sh', ['-c', 'curl -sS "$URL" | sha1sum'], { URL: await freshUrl() });
      if (!curl.out.startsWith(sha1)) throw new Error(`curl | sha1sum: wrong digest ${curl.out}`);
      results.curl.push(size / (curl.ms / 1000));

      const tee = await timed('sh', ['-c', 'curl -sS "$URL" | tee "$FILE" | sha1sum'], { URL: await freshUrl(), FILE: join(dir, 'curl.tar.gz') });
      if (!tee.out.startsWith(sha1)) throw new Error(`curl | tee | sha1sum: wrong digest ${tee.out}`);
      results.curlTee.push(size / (tee.ms / 1000));
      console.log(
        `run ${run}: module ${rate(results.module.at(-1)!)} (process ${rate(results.moduleProcess.at(-1)!)}, peak RSS ${results.rss.at(-1)!.toFixed(0)} MiB, ${results.rssBase.at(-1)!.toFixed(0)} MiB before the download); ` +
          `curl | sha1sum ${rate(results.curl.at(-1)!)}; curl | tee | sha1sum ${rate(results.curlTee.at(-1)!)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  server.closeAllConnections();
  server.close();

  const ours = median(results.module);
  const curl = median(results.curl);
  const tee = median(results.curlTee);
  console.log('');
  console.log(`median module speed          ${rate(ours)} (whole child process, start-up included: ${rate(median(results.moduleProcess))})`);
  console.log(`median curl | sha1sum        ${rate(curl)}`);
  console.log(`median curl | tee | sha1sum  ${rate(tee)}`);
  console.log(`ratio module / curl | sha1sum:       ${(ours / curl).toFixed(2)} (target >= 0.8)`);
  console.log(`ratio module / curl | tee | sha1sum: ${(ours / tee).toFixed(2)}`);
  console.log(
    `peak RSS of the module's process:    ${Math.max(...results.rss).toFixed(0)} MiB (target < 150 MiB; ${Math.max(...results.rssBase).toFixed(0)} MiB after loading the modules)`,
  );
}

/** The child to run: bundled by ncc into a temporary directory (the action's form), or the .ts file. */
function childEntry(stripped: boolean): string {
  const source = fileURLToPath(new URL('./download-child.ts', import.meta.url));
  if (stripped) return source;
  const out = mkdtempSync(join(tmpdir(), 'bench-download-child-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const ncc = fileURLToPath(new URL('../node_modules/.bin/ncc', import.meta.url));
  const build = spawnSync(ncc, ['build', source, '-o', out, '--quiet'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('ncc could not bundle bench/download-child.ts');
  return join(out, 'index.js');
}

async function serveArchive(res: ServerResponse, block: Buffer, size: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'content-disposition': `attachment; filename="${UUID}.tar.gz"` });
  const slice = 4 * MiB;
  for (let offset = 0; offset < size && !res.destroyed; offset += slice) {
    const start = offset % block.length;
    if (!res.write(block.subarray(start, start + Math.min(slice, size - offset)))) await once(res, 'drain');
  }
  res.end();
}

function exec(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`))));
  });
}

async function timed(command: string, args: string[], env: Record<string, string>): Promise<{ out: string; ms: number }> {
  const started = performance.now();
  const out = await exec(command, args, env);
  return { out, ms: performance.now() - started };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function rate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / MiB).toFixed(0)} MiB/s`;
}
