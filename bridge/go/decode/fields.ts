// The MemStats formulas of readmemstats_m over flush-corrected raw values
// (memstats-internals.md §3.2). Pure; bigint uint64 arithmetic throughout.
import type { MemStats } from '../../../protocol/memstats.ts';
import { BY_SIZE_ENTRIES } from '../../../protocol/memstats.ts';
import { wrap } from './bytes.ts';
import type { FlushEffect, PerCallerP } from './flush.ts';
import { heapGoal, type HeadroomRule, type HeapGoalInputs } from './heap-goal.ts';
import type { Snapshot } from './snapshot.ts';

export interface Derived {
  memstats: MemStats;
  /** corrected runtime values the consistency checks compare against */
  check: {
    totalAlloc: bigint; totalFree: bigint; heapInUse: bigint; heapFree: bigint; heapReleased: bigint; mappedReady: bigint; totalMapped: bigint;
    goalInputs: HeapGoalInputs;
  };
}

/** MemStats as ReadMemStats would compute it if `caller` ran the flush. */
export function computeMemStats(snap: Snapshot, fx: FlushEffect, caller: PerCallerP, classSizes: number[], rule: HeadroomRule): Derived {
  const d = fx.delta;
  let totalAlloc = d.largeAlloc;
  let nMalloc = d.largeAllocCount;
  let totalFree = d.largeFree;
  let nFree = d.largeFreeCount;
  for (let i = 0; i < d.smallAllocCount.length; i++) {
    const size = BigInt(classSizes[i] ?? 0);
    totalAlloc += d.smallAllocCount[i]! * size;
    nMalloc += d.smallAllocCount[i]!;
    totalFree += d.smallFreeCount[i]! * size;
    nFree += d.smallFreeCount[i]!;
  }
  nFree += d.tinyAllocCount;
  nMalloc += d.tinyAllocCount;
  totalAlloc = wrap(totalAlloc);
  totalFree = wrap(totalFree);
  nMalloc = wrap(nMalloc);
  nFree = wrap(nFree);

  const stackInUse = d.inStacks;
  const wb = d.inWorkBufs;
  const psb = d.inPtrScalarBits;
  const heapInUse = snap.gc.heapInUse;
  const heapFree = wrap(snap.gc.heapFree + fx.heapFreeAdd);
  const heapReleased = snap.gc.heapReleased;
  const gcMisc = wrap(snap.sys.gcMisc + caller.toGcMisc + caller.direct);
  const other = wrap(snap.sys.other - caller.toGcMisc + caller.chunk);
  const totalMapped = wrap(
    heapInUse + heapFree + heapReleased + snap.sys.stacks + snap.sys.mspan + snap.sys.mcache + snap.sys.buckhash + gcMisc + other + stackInUse + wb + psb,
  );
  const mappedReady = wrap(snap.gc.mappedReady + caller.chunk + caller.direct);
  const goalInputs: HeapGoalInputs = {
    gcPercentHeapGoal: snap.gc.gcPercentHeapGoal,
    sweepDistMinTrigger: snap.gc.sweepDistMinTrigger,
    triggered: snap.gc.triggered,
    heapMarked: snap.gc.heapMarked,
    memoryLimit: snap.gc.memoryLimit,
    heapFree,
    totalAlloc: wrap(snap.gc.totalAlloc + fx.totalAllocAdd),
    totalFree: snap.gc.totalFree,
    mappedReady,
  };

  const bySize = Array.from({ length: BY_SIZE_ENTRIES }, (_, i) => ({
    Size: classSizes[i] ?? 0,
    Mallocs: d.smallAllocCount[i] ?? 0n,
    Frees: d.smallFreeCount[i] ?? 0n,
  }));

  const memstats: MemStats = {
    Alloc: wrap(totalAlloc - totalFree),
    TotalAlloc: totalAlloc,
    Sys: totalMapped,
    Lookups: 0n, // never written by ReadMemStats since 1.16
    Mallocs: nMalloc,
    Frees: nFree,
    HeapAlloc: wrap(totalAlloc - totalFree),
    HeapSys: wrap(heapInUse + heapFree + heapReleased),
    HeapIdle: wrap(heapFree + heapReleased),
    HeapInuse: heapInUse,
    HeapReleased: heapReleased,
    HeapObjects: wrap(nMalloc - nFree),
    StackInuse: stackInUse,
    StackSys: wrap(stackInUse + snap.sys.stacks),
    MSpanInuse: wrap(snap.mheap.spanallocInuse - caller.mspanFreed),
    MSpanSys: snap.sys.mspan,
    MCacheInuse: snap.mheap.cacheallocInuse,
    MCacheSys: snap.sys.mcache,
    BuckHashSys: snap.sys.buckhash,
    GCSys: wrap(gcMisc + wb + psb),
    OtherSys: other,
    NextGC: heapGoal(goalInputs, rule),
    LastGC: snap.history.lastGC,
    PauseTotalNs: snap.history.pauseTotalNs,
    PauseNs: [...snap.history.pauseNs],
    PauseEnd: [...snap.history.pauseEnd],
    NumGC: snap.history.numGC,
    NumForcedGC: snap.history.numForcedGC,
    GCCPUFraction: snap.history.gcCPUFraction,
    EnableGC: true, // always true since 1.19 (memstats.enablegc is not consulted)
    DebugGC: false,
    BySize: bySize,
  };
  return { memstats, check: { totalAlloc, totalFree, heapInUse, heapFree, heapReleased, mappedReady, totalMapped, goalInputs } };
}
