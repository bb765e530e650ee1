// What ReadMemStats' flushallmcaches would change, simulated on a raw Snapshot
// (memstats-internals.md §5): cached-span and tiny counts (§5.1), stack-cache frees (§5.3)
// and the metadata it allocates (§5.4). Pure.
import type { DecoderLayout } from '../layout/decoder-layout.ts';
import type { ArchConstants } from './arch.ts';
import { wrap } from './bytes.ts';
import type { DeltaSum, PState, Snapshot, SpanSetState } from './snapshot.ts';

/** persistentalloc1's maxBlock (a function-local const, so not in DWARF). */
const MAX_BLOCK = 64n * 1024n;
const PTR = 8n;

export interface PushPlan {
  /** persistentalloc sizes charged to gcMiscSys, in the order the flush makes them (blocks counted separately). */
  allocs: Array<{ kind: 'spine' | 'block'; size: bigint }>;
  blocksNeeded: number;
}

/** The spanSet pushes of releaseAll → uncacheSpan for every non-stale cached span, in flush order. */
export function spanSetPushPlan(ps: PState[], sets: Map<string, SpanSetState>, sweepgen: number, blockEntries: number, initSpineCap: bigint): PushPlan {
  const state = new Map<string, SpanSetState>();
  const allocs: PushPlan['allocs'] = [];
  let blocksNeeded = 0;
  const entries = BigInt(blockEntries || 512);
  for (const p of ps) {
    for (const s of p.mcache?.spans ?? []) {
      if (s.sweepgen === sweepgen + 1) continue; // stale: swept, not pushed (torn check handles it)
      const key = `${s.spc}/${s.nelems - s.allocCount > 0 ? 'partial' : 'full'}`;
      const orig = sets.get(key);
      if (!orig) continue;
      let st = state.get(key);
      if (!st) state.set(key, (st = { ...orig }));
      const cursor = st.tail;
      st.tail++;
      const top = cursor / entries;
      if (top < st.spineLen) continue;
      if (st.spineLen === st.spineCap) {
        const newCap = st.spineCap === 0n ? initSpineCap : st.spineCap * 2n;
        allocs.push({ kind: 'spine', size: newCap * PTR });
        st.spineCap = newCap;
      }
      allocs.push({ kind: 'block', size: 0n });
      blocksNeeded++;
      st.spineLen++;
    }
  }
  return { allocs, blocksNeeded };
}

/** The flush's effect that depends on which P runs ReadMemStats. */
export interface PerCallerP {
  p: number;
  /** bytes moved from other_sys to gcMiscSys */
  toGcMisc: bigint;
  /** a fresh persistentalloc chunk mapped (other_sys and mappedReady += it) */
  chunk: bigint;
  /** direct sysAllocs ≥ maxBlock charged to gcMiscSys and mappedReady */
  direct: bigint;
  /** MSpanInuse decrease */
  mspanFreed: bigint;
}

export interface FlushEffect {
  delta: DeltaSum;
  totalAllocAdd: bigint;
  heapFreeAdd: bigint;
  stackBytesFreed: bigint;
  spansFreed: number;
  staleSpans: number;
  staleMcaches: number;
  /** one entry per candidate calling P */
  perP: PerCallerP[];
  /** false when §5.4 could not be simulated (unknown lfstack packing or unread pool) */
  metadataKnown: boolean;
}

function alignUp(x: bigint, a: bigint): bigint {
  return (x + a - 1n) & ~(a - 1n);
}

export function simulateFlush(snap: Snapshot, L: DecoderLayout, arch: ArchConstants): FlushEffect {
  const delta: DeltaSum = { ...snap.delta, smallAllocCount: [...snap.delta.smallAllocCount], smallFreeCount: [...snap.delta.smallFreeCount] };
  let totalAllocAdd = 0n;
  let staleSpans = 0;
  let staleMcaches = 0;
  const sg = snap.mheap.sweepgen;

  // §5.1: cached spans under-count; tiny allocs count in both Mallocs and Frees.
  for (const p of snap.ps) {
    const c = p.mcache;
    if (!c) continue;
    if (c.flushGen !== sg) staleMcaches++;
    for (const s of c.spans) {
      if (s.sweepgen === sg + 1) staleSpans++;
      const used = BigInt(s.allocCount - s.allocCountBeforeCache);
      const cls = s.spc >> 1;
      delta.smallAllocCount[cls] = wrap(delta.smallAllocCount[cls]! + used);
      totalAllocAdd += used * s.elemsize;
    }
    delta.tinyAllocCount = wrap(delta.tinyAllocCount + c.tinyAllocs);
  }
  totalAllocAdd = wrap(totalAllocAdd);

  // §5.3: stacks returned to their spans; a span whose every stack was cached is freed.
  let stackBytesFreed = 0n;
  let spansFreed = 0;
  if (snap.gcphase === 0) {
    for (const s of snap.stackSpans) {
      if (s.allocCount === s.cached) {
        stackBytesFreed += s.npages * BigInt(L.constants.pageSize);
        spansFreed++;
      }
    }
  }
  delta.inStacks = wrap(delta.inStacks - stackBytesFreed);

  // §5.4: spine and block allocations for the spanSet pushes, charged per calling P.
  const plan = spanSetPushPlan(snap.ps, snap.spanSets, sg, L.spanSetBlockEntries, BigInt(L.constants.spanSetInitSpineCap));
  const chunkSize = BigInt(L.constants.persistentChunkSize);
  // Spines are aligned to CacheLineSize; blocks (lfstack nodes) to max(CacheLineSize, tagAlign).
  const tagAlign = 1n << BigInt(L.constants.lfstackAlignBits);
  const cacheLine = BigInt(L.constants.cacheLineSize);
  const blockAlign = tagAlign > cacheLine ? tagAlign : cacheLine;
  let pool = snap.blockPoolDepth;
  const metadataKnown = pool !== undefined || plan.blocksNeeded === 0;
  const sizes: Array<{ size: bigint; align: bigint }> = [];
  for (const a of plan.allocs) {
    if (a.kind === 'spine') sizes.push({ size: a.size, align: cacheLine });
    else if (pool !== undefined && pool > 0) pool--;
    else sizes.push({ size: BigInt(L.spanSetBlockSize), align: blockAlign });
  }
  const perP: PerCallerP[] = snap.ps.map((p) => {
    let base = p.pallocBase;
    let off = p.pallocOff;
    let toGcMisc = 0n;
    let chunk = 0n;
    let direct = 0n;
    for (const { size, align } of sizes) {
      if (size >= MAX_BLOCK) {
        direct += size;
        continue;
      }
      off = alignUp(off, align);
      if (off + size > chunkSize || base === 0n) {
        chunk += chunkSize;
        base = 1n;
        off = alignUp(PTR, align);
      }
      off += size;
      toGcMisc += size;
    }
    const room = BigInt(Math.max(0, L.p.mspancacheCap - p.mspancacheLen));
    const overflow = BigInt(spansFreed) > room ? BigInt(spansFreed) - room : 0n;
    return { p: p.index, toGcMisc, chunk, direct, mspanFreed: overflow * BigInt(L.mspan.size) };
  });

  return { delta, totalAllocAdd, heapFreeAdd: stackBytesFreed, stackBytesFreed, spansFreed, staleSpans, staleMcaches, perP, metadataKnown };
}
