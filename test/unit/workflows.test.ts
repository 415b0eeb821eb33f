import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = new URL('../../.github/workflows/', import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith('.yml'));

describe("the repository's own workflows", () => {
  it('exist for CI and check-dist', () => {
    expect(files.sort()).toEqual(['check-dist.yml', 'ci.yml']);
  });

  it.each(files)('%s: read-only token, every action pinned by full commit SHA with its version', (name) => {
    const text = readFileSync(new URL(name, dir), 'utf8');
    const workflow = parse(text) as { permissions?: Record<string, string> };
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const uses = [...text.matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, ref, rest] of uses) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, ref).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });
});
