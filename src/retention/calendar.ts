/**
 * Calendar buckets for `keep-daily`, `keep-weekly` and `keep-monthly`, always in UTC
 * (interface.md "Retention": "days / ISO weeks / months (UTC)"), whatever offset `created_at` had.
 * Each key identifies one bucket; two instants share a bucket exactly when their keys are equal.
 */

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function utcDayKey(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** `YYYY-MM` of the UTC month holding `ms`. */
export function utcMonthKey(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}`;
}

/** ISO 8601 week-numbering year and week (1..53) of the UTC day holding `ms`. */
export function isoWeek(ms: number): { year: number; week: number } {
  const date = new Date(ms);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  // Weeks start on Monday; a week belongs to the year that holds its Thursday.
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { year, week };
}

/** `YYYY-Www` of the ISO week (UTC) holding `ms`. */
export function isoWeekKey(ms: number): string {
  const { year, week } = isoWeek(ms);
  return `${pad(year, 4)}-W${pad(week)}`;
}
