import * as core from '@actions/core';
import { Input } from '../constants.js';
import type { InputName } from '../constants.js';
import { secrets } from '../secrets.js';
import { parseInputs } from './parse-inputs.js';
import type { ParsedInputs } from './parse-inputs.js';

/**
 * Reads the inputs from the runner (`INPUT_<NAME>`, hyphens kept) and parses them. The API key
 * and header values are masked before anything can print them.
 */
export function readInputs(): ParsedInputs {
  secrets.add(core.getInput(Input.ApiKey));
  for (const line of core.getInput(Input.Headers).split('\n')) {
    const colon = line.indexOf(':');
    // Every non-empty value, however short: the interface promises no header value is ever printed.
    if (colon >= 0) secrets.add(line.slice(colon + 1).trim(), 1);
  }
  return parseInputs((name: InputName) => core.getInput(name));
}
