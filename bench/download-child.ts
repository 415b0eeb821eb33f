// One call of the archive download module, for bench/download.ts, which runs this file in a child
// process (bundled by ncc like the action, or directly with --stripped) and reads one JSON line
// from stdout: the module's own duration and the process's peak RSS.
// Usage: download-child <panel-url> <bytes> <sha1> <dir>; `<panel-url>/url` hands out fresh URLs.
import { registerHooks } from 'node:module';
import { join } from 'node:path';

const [panel, size, sha1, dir] = process.argv.slice(2);
if (!panel || !size || !sha1 || !dir) throw new Error('usage: download-child <panel-url> <bytes> <sha1> <dir>');

if (import.meta.url.endsWith('.ts')) {
  // Run by Node's type stripping: src's `.js` specifiers name `.ts` files (as tsc and ncc expect),
  // which Node does not map by itself.
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js')) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
        throw error;
      }
    },
  });
}
const { downloadArchive } = await import('../src/download/download-archive.js');
const { HttpTransport } = await import('../src/http/transport.js');
const rssAfterImport = process.resourceUsage().maxRSS;

const transport = new HttpTransport({ userAgent: 'pterodactyl-backup-action/bench' });
const print = (line: string): void => void process.stderr.write(`  ${line}\n`);
const result = await downloadArchive({
  backup: {
    uuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    name: 'bench',
    isSuccessful: true,
    isLocked: false,
    checksum: `sha1:${sha1}`,
    bytes: Number(size),
    createdAt: '2026-01-01T00:00:00+00:00',
    completedAt: '2026-01-01T00:00:00+00:00',
    ignoredFiles: [],
    attributes: {},
  },
  freshUrl: async () => (await fetch(`${panel}/url`)).text(),
  target: join(dir, 'archive.tar.gz'),
  transport,
  allowInsecureHttp: true,
  signal: new AbortController().signal,
  log: { info: print, warning: print, notice: print, debug: () => undefined },
});
await transport.close();
process.stdout.write(
  `${JSON.stringify({ durationMs: result.durationMs, attempts: result.attempts, rssAfterImportKiB: rssAfterImport, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
