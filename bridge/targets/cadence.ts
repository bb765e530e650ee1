// When a subscriber's next sample is due. Pure.

/**
 * The slot after a read at `now` for a subscriber at `intervalMs` whose slot was `prev`.
 * - Drift-free: the next slot follows the previous one, skipping missed slots (never sooner
 *   than half an interval after this read).
 * - A first sample (`prev` 0) joins the cadence of a subscriber already there at the same
 *   interval (`cadence`: one of its slots), at its first slot at least half an interval away.
 *   Subscribers who came at different moments then share one read per interval, instead of
 *   each phase causing its own (100 subscribers at 10 Hz read the target 27.6 times a second).
 * - Otherwise the first sample starts the subscriber's own cadence.
 */
export function nextDue(prev: number, now: number, intervalMs: number, cadence?: number): number {
  if (prev !== 0) return Math.max(prev + intervalMs, now + intervalMs / 2);
  if (cadence === undefined) return now + intervalMs;
  const earliest = now + intervalMs / 2;
  return cadence + Math.ceil((earliest - cadence) / intervalMs) * intervalMs;
}
