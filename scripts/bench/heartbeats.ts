// What a target's own heartbeats (GoTarget.heartbeats) say about a stretch of time: its work and
// tick rates, and the largest gap between two beats. Benchmarks only.
import type { Heartbeat } from '../kit/go-target.ts';

/** Work (allocs) and progress-tick rates per second between t0 and t1 (ns, as Heartbeat.at). */
export function heartbeatRates(beats: Heartbeat[], t0: number, t1: number): { allocs: number; ticks: number } {
  const inside = beats.filter((b) => b.at >= t0 && b.at <= t1);
  const a = inside[0];
  const b = inside[inside.length - 1];
  if (!a || !b || b.at <= a.at) return { allocs: NaN, ticks: NaN };
  const s = (b.at - a.at) / 1e9;
  return { allocs: (b.allocs - a.allocs) / s, ticks: (b.counter - a.counter) / s };
}

/** Largest interval between consecutive heartbeats that overlaps [t0, t1]. */
export function maxHeartbeatGap(beats: Heartbeat[], t0: number, t1: number): number {
  let lo = 1;
  let hi = beats.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (beats[mid]!.at > t0) hi = mid;
    else lo = mid + 1;
  }
  let max = 0;
  for (let i = lo; i < beats.length && beats[i - 1]!.at < t1; i++) max = Math.max(max, beats[i]!.at - beats[i - 1]!.at);
  return max;
}
