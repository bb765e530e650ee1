// What the target itself saw over a window of bench-bridge: its work and tick rates (from its
// heartbeats) and the largest scheduling gap in each ~1 s slice (memhog's `gap` command). Never
// read through gdb: the tool would measure itself.
import type { GoTarget } from '../../kit/go-target.ts';
import { tracerPid } from '../../kit/proc.ts';
import { now, sleep } from '../../kit/time.ts';
import { heartbeatRates } from '../heartbeats.ts';

export interface TargetWindow {
  allocsPerSec: number;
  ticksPerSec: number;
  /** largest scheduling gap in each ~1 s slice */
  gaps: number[];
}

/** Runs a window of `seconds` on the target: resets `gap`, then reads it once a second. */
export async function targetWindow(h: GoTarget, seconds: number): Promise<TargetWindow & { t0: number; t1: number }> {
  await h.command('gap');
  const t0 = now();
  const gaps: number[] = [];
  const end = t0 + seconds * 1e9;
  while (now() < end) {
    await sleep(Math.min(1000, Math.max(1, (end - now()) / 1e6)));
    gaps.push(Number((await h.command('gap')).maxGapNs));
  }
  const t1 = now();
  await sleep(60); // the heartbeat after t1 lands
  const r = heartbeatRates(h.heartbeats, t0, t1);
  return { allocsPerSec: r.allocs, ticksPerSec: r.ticks, gaps, t0, t1 };
}

/** Waits until nothing traces the target (the bridge detaches after its linger). */
export async function waitDetached(h: GoTarget, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (tracerPid(h.pid) === 0) return true;
    await sleep(100);
  }
  return false;
}
