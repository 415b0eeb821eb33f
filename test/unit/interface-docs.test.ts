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
