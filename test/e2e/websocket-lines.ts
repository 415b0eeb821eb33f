/** The log line that shows the wait ended on the daemon's event (then confirmed over REST). */
export const VIA_EVENT = /The daemon reports backup .* succeeded; confirming with the panel/;
