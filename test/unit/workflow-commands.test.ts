import { describe, expect, it } from 'vitest';
import { inert } from '../../src/report/workflow-commands.js';

describe('inert', () => {
  it('quotes every line the runner would read as a workflow command, after any line break', () => {
    expect(inert("Backup 'nightly\n::add-mask::backup\n  ::error title=x::y\r##[set-output name=a]b' started.")).toBe(
      "Backup 'nightly\n> ::add-mask::backup\n  > ::error title=x::y\r> ##[set-output name=a]b' started.",
    );
  });

  it('leaves ordinary text, and colons inside a line, alone', () => {
    const text = 'Waiting 5s:: then polling.\nDownloaded 1.0 MiB of 2.0 MiB (50%).';
    expect(inert(text)).toBe(text);
  });
});
