/**
 * `retention-match`: one glob per line, matched against the whole name, case-sensitive; `*`
 * matches any characters including `/`, `?` exactly one; a line starting with `!` excludes.
 * A name matches when some including line matches it (every name, when there are only
 * excluding lines) and no excluding line does.
 */
export type NameMatcher = (name: string) => boolean;

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

export function compileNameMatcher(lines: string[]): NameMatcher {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const line of lines) {
    if (line.startsWith('!')) exclude.push(globToRegExp(line.slice(1)));
    else include.push(globToRegExp(line));
  }
  return (name) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
}

/** Every name matches (choosing `latest` or a recent backup with an empty `retention-match`). */
export const matchEveryName: NameMatcher = () => true;
