// The Go collector's non-MemStats values from one snapshot: what runtime.NumGoroutine,
// runtime.ThreadCreateProfile, GOMAXPROCS and runtime/metrics' /gc/gogc and /gc/gomemlimit
// would return at that instant. Pure.
import type { RuntimeStats } from '../../../protocol/process-stats.ts';
import type { Snapshot } from './snapshot.ts';

export function runtimeStatsOf(snap: Snapshot): RuntimeStats {
  const c = snap.counts;
  let goroutines: number | undefined;
  if (c) {
    // runtime.gcount(false): every g ever made, less the free ones and the system ones;
    // racy in the runtime too, so it never reports less than the caller itself.
    const free = c.schedGFree + snap.ps.reduce((sum, p) => sum + (p.gFree ?? 0), 0);
    goroutines = Math.max(1, Number(BigInt.asIntN(32, c.allglen)) - free - c.ngsys);
  }
  return {
    goroutines,
    threads: c ? Number(c.mnext - c.nmfreed) : undefined,
    gomaxprocs: snap.gomaxprocs,
    gcPercent: snap.gc.gcPercent,
    // runtime/metrics reports uint64(memoryLimit); the limit is never negative.
    memoryLimit: BigInt.asUintN(64, snap.gc.memoryLimit),
  };
}
