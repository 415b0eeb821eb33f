import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Input, Output } from '../../src/constants.js';
import { DEFAULTS } from '../../src/inputs/parse-inputs.js';
import { fillReadme, renderTables } from '../../scripts/readme-tables.ts';

const root = new URL('../../', import.meta.url);
const actionYml = readFileSync(new URL('action.yml', root), 'utf8');
const action = parse(actionYml) as {
  runs: { using: string; main: string };
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
  branding: { icon: string; color: string };
};

describe('action.yml, the code and the README describe the same interface', () => {
  it('runs on node24 from dist/index.js', () => {
    expect(action.runs).toMatchObject({ using: 'node24', main: 'dist/index.js' });
    expect(action.branding.icon).toBeTruthy();
  });

  it('declares exactly the inputs and outputs the code reads and writes, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Input).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Output).sort());
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description.length, name).toBeGreaterThan(20);
    for (const [name, output] of Object.entries(action.outputs)) expect(output.description.length, name).toBeGreaterThan(5);
  });

  it("gives every boolean input a default the parser accepts", () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      if (input.default === 'true' || input.default === 'false') expect(['true', 'false'], name).toContain(input.default);
    }
    expect(action.inputs['operation']!.default).toBe('create');
    expect(action.inputs['wait-timeout']!.default).toBe('1h');
    expect(action.inputs['poll-interval']!.default).toBe('5s');
    expect(action.inputs['wait-strategy']!.default).toBe('auto');
    expect(action.inputs['concurrency']!.default).toBe('4');
    for (const required of ['panel-url', 'api-key', 'server-id']) expect(action.inputs[required]!.required, required).toBe(true);
  });

  it("the parser's defaults are action.yml's", () => {
    const declared = Object.fromEntries(Object.entries(action.inputs).filter(([, input]) => input.default).map(([name, input]) => [name, input.default]));
    expect(DEFAULTS).toEqual(declared);
  });

  it("the README's tables are the ones action.yml gives (run npm run docs after changing action.yml)", () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(readme).toBe(fillReadme(readme, renderTables(actionYml)));
  });

  it('the README shows the two set-up commands that .ci/run proves', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
    const ci = readFileSync(new URL('.ci/run', root), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
  });
});

describe("the README's workflow examples", () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const USES = 'pterodactyl-backup-action/pterodactyl-backup-action@';
  type Step = { id?: string; uses?: string; with?: Record<string, unknown> };

  /** A block is a whole workflow, a list of steps, or steps cut out of a job (indented). */
  function stepsOf(block: string): Step[] {
    const parsed = parse(block.includes('\njobs:') || block.startsWith('name:') || block.startsWith('on:') ? block : dedent(block)) as unknown;
    const found: Step[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        if (typeof (node as Step).uses === 'string' || 'run' in node) found.push(node as Step);
        Object.values(node).forEach(visit);
      }
    };
    visit(parsed);
    return found;
  }

  function dedent(block: string): string {
    const indent = Math.min(...block.split('\n').filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length));
    return block
      .split('\n')
      .map((line) => line.slice(indent))
      .join('\n');
  }

  it('are valid YAML', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) expect(() => stepsOf(block), block.slice(0, 120)).not.toThrow();
  });

  it("use only this action's inputs, and read only its outputs", () => {
    let checked = 0;
    for (const block of blocks) {
      const ours = stepsOf(block).filter((step) => step.uses?.startsWith(USES));
      checked += ours.length;
      for (const step of ours) for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs), `input ${input}`).toContain(input);
      for (const step of ours.filter((s) => s.id)) {
        for (const match of block.matchAll(new RegExp(`steps\\.${step.id}\\.outputs\\.([\\w-]+)`, 'g'))) {
          expect(Object.keys(action.outputs), `output ${match[1]}`).toContain(match[1]);
        }
      }
    }
    expect(checked).toBeGreaterThan(8);
  });
});
