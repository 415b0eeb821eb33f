// A small subset of Laravel's validator with Pterodactyl's resources/lang/en/validation.php messages
// (panel-api.md §2, §5.2). Attribute names are shown as sent (e.g. "The is_locked field ...").
import { validationError } from './envelope.ts';

export type Rule = 'required' | 'nullable' | 'string' | 'boolean' | { max: number } | { in: readonly string[] };

// Laravel's `boolean` rule: strict in_array against these.
const BOOLEAN_VALUES: readonly unknown[] = [true, false, 0, 1, '0', '1'];

function ruleName(rule: Rule): string {
  if (typeof rule === 'string') return rule;
  return 'max' in rule ? 'max' : 'in';
}

function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

function sizeOf(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  return [...String(v)].length; // mb_strlen
}

function check(field: string, value: unknown, rule: Rule): string | null {
  if (rule === 'required') return isEmptyValue(value) ? `The ${field} field is required.` : null;
  if (rule === 'nullable') return null;
  if (rule === 'string') return typeof value === 'string' ? null : `The ${field} must be a string.`;
  if (rule === 'boolean') return BOOLEAN_VALUES.includes(value) ? null : `The ${field} field must be true or false.`;
  if ('max' in rule) {
    if (sizeOf(value) <= rule.max) return null;
    return Array.isArray(value)
      ? `The ${field} may not have more than ${rule.max} items.`
      : `The ${field} may not be greater than ${rule.max} characters.`;
  }
  return rule.in.includes(String(value)) && (typeof value === 'string' || typeof value === 'number')
    ? null
    : `The selected ${field} is invalid.`;
}

/** Throws a 422 ValidationException with one entry per failed rule. */
export function validate(input: Record<string, unknown>, spec: Record<string, readonly Rule[]>): void {
  const failures: Array<{ field: string; rule: string; detail: string }> = [];
  for (const [field, rules] of Object.entries(spec)) {
    const value = input[field];
    const present = value !== undefined;
    const required = rules.includes('required');
    if (!present && !required) continue;
    if (value === null && rules.includes('nullable') && !required) continue;
    for (const rule of rules) {
      const detail = check(field, value, rule);
      if (detail === null) continue;
      failures.push({ field, rule: ruleName(rule), detail });
      // An implicit rule (required) failing stops the attribute's other rules.
      if (rule === 'required') break;
    }
  }
  if (failures.length > 0) throw validationError(failures);
}

/** PHP truthiness of a validated boolean input. */
export function asBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}
