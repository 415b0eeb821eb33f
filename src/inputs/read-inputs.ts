import * as core from '@actions/core';
import { Input } from '../constants.js';
import type { InputName } from '../constants.js';
import { MIN_SECRET_LENGTH, secrets } from '../secrets.js';
import { parseInputs } from './parse-inputs.js';
import type { ParsedInputs } from './parse-inputs.js';

/**
 * Reads the inputs from the runner (`INPUT_<NAME>`, hyphens kept) and parses them. The API key
 * and header values are masked before anything can print them.
 */
export function readInputs(): ParsedInputs {
  secrets.add(core.getInput(Input.ApiKey));
  const short: string[] = [];
  for (const line of core.getInput(Input.Headers).split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const value = line.slice(colon + 1).trim();
    secrets.add(value);
    if (value.length > 0 && value.length < MIN_SECRET_LENGTH) short.push(line.slice(0, colon).trim());
  }
  const parsed = parseInputs((name: InputName) => core.getInput(name));
  // Masking a value of 1-3 characters would hide those characters all over the log, and the
  // runner drops every job output containing a mask (a backup UUID, say). The action never prints
  // header values; a value this short is no secret worth that.
  for (const name of short) {
    parsed.warnings.push(
      `headers: the value of '${name}' is shorter than ${MIN_SECRET_LENGTH} characters, so it is not masked (masking it would hide those characters everywhere in the log and drop job outputs that contain them). The action never prints header values; if it is a secret, it is too short to be one.`,
    );
  }
  return parsed;
}
