import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const fresh = mkdtempSync(join(tmpdir(), 'dist-check-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

// The committed dist/ is what the runner executes; it must be exactly what the sources build to.
it('dist/ equals a fresh build of src/', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { build: string } };
  const args = pkg.scripts.build.replace(/^ncc /, '').replace('-o dist', `-o ${fresh}`).split(' ');
  execFileSync(join(root, 'node_modules/.bin/ncc'), args, { cwd: root, stdio: 'pipe' });
  const committed = readdirSync(join(root, 'dist')).sort();
  expect(readdirSync(fresh).sort()).toEqual(committed);
  for (const file of committed) {
    const same = readFileSync(join(fresh, file)).equals(readFileSync(join(root, 'dist', file)));
    expect(same, `dist/${file} differs from a fresh build: run npm run build and commit dist/`).toBe(true);
  }
}, 120_000);
