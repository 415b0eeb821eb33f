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
    for (const [, ref, rest] of uses.filter(([, ref]) => ref !== './')) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, ref).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it('ci.yml runs the action itself with uses: ./, giving only its inputs and reading only its outputs', () => {
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as { inputs: object; outputs: object };
    const text = readFileSync(new URL('ci.yml', dir), 'utf8');
    const workflow = parse(text) as { jobs: Record<string, { steps: Array<{ id?: string; uses?: string; with?: object }> }> };
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const own = steps.filter((step) => step.uses === './');
    expect(own).toHaveLength(1);
    for (const name of Object.keys(own[0]!.with ?? {})) expect(Object.keys(action.inputs), name).toContain(name);
    const read = [...text.matchAll(new RegExp(`steps\\.${own[0]!.id}\\.outputs\\.([\\w-]+)`, 'g'))].map((match) => match[1]);
    expect(read.length).toBeGreaterThan(0);
    for (const name of read) expect(Object.keys(action.outputs), name).toContain(name);
  });
});
