/**
 * A line the runner would take for a workflow command once trimmed: `::name::…`, or the old
 * `##[name]…` form. `^` with the `m` flag also matches after a lone `\r`, which the runner treats
 * as a line break too.
 */
const COMMAND_LINE = /^([^\S\r\n]*)(::|##\[)/gm;

/**
 * Makes text safe for a plain log line (`core.info`, written as is): text from the panel (a
 * backup's or server's name, which may hold line breaks) must not become a workflow command such
 * as `::add-mask::` or `::stop-commands::`. Such lines are quoted with `> `. Annotations and debug
 * lines need none of this: `@actions/core` escapes their line breaks.
 */
export function inert(text: string): string {
  return text.replace(COMMAND_LINE, '$1> $2');
}
