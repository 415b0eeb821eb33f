/** The action's version, as in package.json (test/version.test.ts keeps them equal). */
export const VERSION = '1.0.0';
