// The raw runtime state one sample is computed from: parsed scalars, no formulas yet.
// Produced by read.ts from a Memory; consumed by the pure flush/goal/fields/consistency code.

export interface DeltaSum {
  committed: bigint; released: bigint; inHeap: bigint; inStacks: bigint; inWorkBufs: bigint; inPtrScalarBits: bigint;
  tinyAllocCount: bigint; largeAlloc: bigint; largeAllocCount: bigint; largeFree: bigint; largeFreeCount: bigint;
  smallAllocCount: bigint[]; smallFreeCount: bigint[];
}

export interface CachedSpan {
  spc: number;
  addr: bigint;
  allocCount: number;
  allocCountBeforeCache: number;
  nelems: number;
  elemsize: bigint;
  sweepgen: number;
}

export interface PState {
  index: number;
  addr: bigint;
  status: number;
  statsSeq: number;
  mspancacheLen: number;
  pallocBase: bigint;
  pallocOff: bigint;
  /** free gs cached on this P (p.gFree's count), when the layout knows where it is */
  gFree?: number | undefined;
  /** p.m (the M holding it; 0 when idle), read only when the caller P is wanted */
  m?: bigint | undefined;
  mcache?: {
    addr: bigint;
    tinyAllocs: bigint;
    flushGen: number;
    spans: CachedSpan[];
    /** cached free stacks per order: their addresses */
    stacks: bigint[][];
  };
}

export interface StackSpan {
  addr: bigint;
  allocCount: number;
  npages: bigint;
  /** how many of its stacks sit in mcache stack caches */
  cached: number;
}

export interface SpanSetState {
  spineLen: bigint;
  spineCap: bigint;
  /** low 32 bits of the head/tail index */
  tail: bigint;
}

export interface Snapshot {
  /** Σ of the three heapStats shards (wrapping uint64; signed deltas as two's complement). */
  delta: DeltaSum;
  heapStatsGen: number;
  noPLockKey: bigint;
  sys: { stacks: bigint; mspan: bigint; mcache: bigint; buckhash: bigint; gcMisc: bigint; other: bigint };
  history: { lastGC: bigint; pauseTotalNs: bigint; pauseNs: bigint[]; pauseEnd: bigint[]; numGC: number; numForcedGC: number; gcCPUFraction: number };
  gc: {
    heapInUse: bigint; heapReleased: bigint; heapFree: bigint; totalAlloc: bigint; totalFree: bigint; mappedReady: bigint;
    gcPercentHeapGoal: bigint; sweepDistMinTrigger: bigint; memoryLimit: bigint; triggered: bigint; heapMarked: bigint; gcPercent: number;
  };
  mheap: { sweepgen: number; spanallocInuse: bigint; cacheallocInuse: bigint; lockKey: bigint };
  gomaxprocs: number;
  gcphase: number;
  /** gcount()/mcount() inputs (layout.counts); undefined when the layout has none */
  counts?: { allglen: bigint; schedGFree: number; ngsys: number; mnext: bigint; nmfreed: bigint } | undefined;
  /** undefined when runtime/metrics is not linked */
  metricsSema: number | undefined;
  ps: PState[];
  stackSpans: StackSpan[];
  /** spanSet state keyed `${spc}/${'partial'|'full'}` for the current sweep half, for §5.4 */
  spanSets: Map<string, SpanSetState>;
  /** nodes available in runtime.spanSetBlockPool (counted up to what the flush needs); undefined = unknown */
  blockPoolDepth: number | undefined;
  /** P indices goroutines on Ms would run ReadMemStats on (read.ts readCallerPs); undefined = not derived. */
  callerPs?: number[] | undefined;
  /** Reads taken (gdb round trips) and bytes, for the sample's cost. */
  cost: { reads: number; bytes: number };
}
