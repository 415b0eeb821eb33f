// Fills the README's inputs and outputs tables from action.yml (`npm run docs`), so the two
// cannot drift; test/unit/interface-docs.test.ts fails when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string): string =>
  text.replace(/\s+/g, ' ').trim().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');

export function renderTables(actionYml: string): { inputs: string; outputs: string } {
  const action = parse(actionYml) as ActionYml;
  const inputs = [
    '| Input | Default | Description |',
    '|---|---|---|',
    ...Object.entries(action.inputs).map(([name, input]) => {
      const fallback = input.required ? '(required)' : input.default ? `\`${input.default}\`` : '';
      return `| \`${name}\` | ${fallback} | ${cell(input.description)} |`;
    }),
  ].join('\n');
  const outputs = [
    '| Output | Description |',
    '|---|---|',
    ...Object.entries(action.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`),
  ].join('\n');
  return { inputs, outputs };
}

export function fillReadme(readme: string, tables: { inputs: string; outputs: string }): string {
  let result = readme;
  for (const [section, table] of Object.entries(tables)) {
    const pattern = new RegExp(`(<!-- ${section}:start -->)[\\s\\S]*?(<!-- ${section}:end -->)`);
    if (!pattern.test(result)) throw new Error(`README.md has no <!-- ${section}:start --> ... <!-- ${section}:end --> markers`);
    result = result.replace(pattern, `$1\n${table}\n$2`);
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('..', import.meta.url);
  const readmePath = new URL('README.md', root);
  const updated = fillReadme(readFileSync(readmePath, 'utf8'), renderTables(readFileSync(new URL('action.yml', root), 'utf8')));
  writeFileSync(readmePath, updated);
  console.log('README.md tables updated from action.yml.');
}
