/**
 * A line the runner would take for a workflow command once trimmed (.NET's Trim also drops
 * U+0085, which JavaScript's `\s` does not count): `::name::…`. `^` with the `m` flag also
 * matches after a lone `\r`, which the runner treats as a line break too.
 */
const COMMAND_LINE = /^((?:[^\S\r\n]|\u0085)*)::/gm;
/** The old `##[name]…` form, which the runner finds anywhere in a line (actions/runner ActionCommand.TryParse). */
const OLD_COMMAND = /##\[/g;

/**
 * Makes text safe for a plain log line (`core.info`, written as is): text from the panel (a
 * backup's or server's name, which may hold line breaks) must not become a workflow command such
 * as `::add-mask::` or `::stop-commands::`. Such lines are quoted with `> `, and `##[` gets a
 * space (`## [`). Annotations and debug lines need none of this: `@actions/core` escapes their
 * line breaks.
 */
export function inert(text: string): string {
  return text.replace(COMMAND_LINE, '$1> ::').replace(OLD_COMMAND, '## [');
}
