import { describe, expect, it } from 'vitest';
import { compileNameMatcher } from '../../src/retention/name-match.js';

describe('compileNameMatcher (retention-match)', () => {
  it('matches the whole name, case-sensitive, with * across /', () => {
    const matches = compileNameMatcher(['octo/site@*']);
    expect(matches('octo/site@abc1234 run 1.1')).toBe(true);
    expect(matches('Octo/site@abc1234 run 1.1')).toBe(false);
    expect(matches('x octo/site@abc')).toBe(false);
    expect(compileNameMatcher(['*'])('a/b/c')).toBe(true);
  });

  it('? is exactly one character and regex characters are literal', () => {
    const matches = compileNameMatcher(['v?.(1)+']);
    expect(matches('v1.(1)+')).toBe(true);
    expect(matches('v12.(1)+')).toBe(false);
    expect(matches('vx.(1)')).toBe(false);
  });

  it('! lines exclude; only exclusions means everything else', () => {
    const matches = compileNameMatcher(['nightly-*', '!*-keep']);
    expect(matches('nightly-1')).toBe(true);
    expect(matches('nightly-1-keep')).toBe(false);
    expect(matches('manual')).toBe(false);
    const allBut = compileNameMatcher(['!manual*']);
    expect(allBut('nightly')).toBe(true);
    expect(allBut('manual backup')).toBe(false);
  });
});

describe('a glob is matched against the whole name, and only * and ? are special', () => {
  it('does not match a longer name', () => {
    expect(compileNameMatcher(['nightly'])('nightly-keep-forever')).toBe(false);
    expect(compileNameMatcher(['nightly'])('my nightly')).toBe(false);
  });

  it('takes regular-expression characters literally', () => {
    expect(compileNameMatcher(['a|*'])('anything')).toBe(false);
    expect(compileNameMatcher(['a|*'])('a|x')).toBe(true);
    expect(compileNameMatcher(['v1.0 (pre)+'])('v1.0 (pre)+')).toBe(true);
    expect(compileNameMatcher(['v1.0 (pre)+'])('v1x0 (pre)')).toBe(false);
  });
});
