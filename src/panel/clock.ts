/**
 * The panel's clock now, from the `Date` header of an earlier answer (`panelDate`, received at
 * local `localAt`). `created_at` and activity timestamps are the panel's clock, and a runner's
 * clock can be minutes off, so comparisons with them use this. Undefined without a Date header.
 */
export function estimatePanelNow(panelDate: Date | undefined, localAt: number, now: number): number | undefined {
  return panelDate ? panelDate.getTime() + (now - localAt) : undefined;
}
