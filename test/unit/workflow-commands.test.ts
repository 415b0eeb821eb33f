import { describe, expect, it } from 'vitest';
import { inert } from '../../src/report/workflow-commands.js';

describe('inert', () => {
  it('quotes every line the runner would read as a workflow command, after any line break', () => {
    expect(inert("Backup 'nightly\n::add-mask::backup\n  ::error title=x::y\r::warning::z' started.")).toBe(
      "Backup 'nightly\n> ::add-mask::backup\n  > ::error title=x::y\r> ::warning::z' started.",
    );
  });

  it('counts U+0085 as leading whitespace, as the runner does', () => {
    expect(inert('x\n\u0085::add-mask::w')).toBe('x\n\u0085> ::add-mask::w');
  });

  it('breaks the old ##[command] form wherever it is in a line', () => {
    expect(inert("Backup 'x ##[stop-commands]t' created.\n##[set-output name=a]b")).toBe("Backup 'x ## [stop-commands]t' created.\n## [set-output name=a]b");
  });

  it('leaves ordinary text, and colons inside a line, alone', () => {
    const text = 'Waiting 5s:: then polling.\nDownloaded 1.0 MiB of 2.0 MiB (50%). Issue #12 [closed]';
    expect(inert(text)).toBe(text);
  });
});
