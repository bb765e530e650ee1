// Reads one raw Snapshot from target memory in as few dependent rounds as possible:
// globals → allp → Ps → mcaches → spans/stack chains. Reads within a round run in parallel
// (the MI client pipelines them).
import { unpackTagged, type ArchConstants } from '../decode/arch.ts';
import { elem, f64, i64, n, u, wrap } from '../decode/bytes.ts';
import type { CallerLayout, DecoderLayout, F, Global } from '../layout/decoder-layout.ts';
import { GoError, GoErrorCode } from '../errors.ts';
import type { Memory } from './memory.ts';
import type { DeltaSum, PState, Snapshot, SpanSetState, StackSpan } from '../decode/snapshot.ts';
import { spanSetPushPlan } from '../decode/flush.ts';

/** Stack-cache chains are short (≤ 32 KiB per order); this bounds a corrupt or racing list. */
const MAX_CHAIN = 512;

export interface ReadContext {
  mem: Memory;
  layout: DecoderLayout;
  /** Run-time minus link-time address (PIE); 0 otherwise. */
  bias: bigint;
  arch: ArchConstants;
  /** Also find the Ps that goroutines on Ms hold (only meaningful while the target is stopped). */
  callers?: boolean;
}

const addrOf = (g: Global, bias: bigint): bigint => BigInt(g.addr) + bias;

/** Reads a set of fields of one struct instance, merging nearby ones into one read. */
async function readFields<K extends string>(mem: Memory, base: bigint, fields: Record<K, F>): Promise<Record<K, bigint>> {
  const entries = (Object.entries(fields) as Array<[K, F]>).sort((a, b) => a[1].o - b[1].o);
  const groups: Array<{ start: number; end: number; keys: Array<[K, F]> }> = [];
  for (const [k, f] of entries) {
    const g = groups[groups.length - 1];
    if (g && f.o - g.end < 256) {
      g.end = Math.max(g.end, f.o + f.s);
      g.keys.push([k, f]);
    } else groups.push({ start: f.o, end: f.o + f.s, keys: [[k, f]] });
  }
  const out = {} as Record<K, bigint>;
  await Promise.all(
    groups.map(async (g) => {
      const buf = await mem.read(base + BigInt(g.start), g.end - g.start);
      for (const [k, f] of g.keys) out[k] = u(buf, { o: f.o - g.start, s: f.s });
    }),
  );
  return out;
}

function sumDeltas(buf: Buffer, L: DecoderLayout): DeltaSum {
  const d = L.delta;
  const zero = (): bigint[] => new Array<bigint>(d.classes).fill(0n);
  const sum: DeltaSum = {
    committed: 0n, released: 0n, inHeap: 0n, inStacks: 0n, inWorkBufs: 0n, inPtrScalarBits: 0n,
    tinyAllocCount: 0n, largeAlloc: 0n, largeAllocCount: 0n, largeFree: 0n, largeFreeCount: 0n,
    smallAllocCount: zero(), smallFreeCount: zero(),
  };
  const counterSize = d.smallAllocCount.s / d.classes;
  for (let shard = 0; shard < 3; shard++) {
    const base = L.mstats.heapStatsStats.o + shard * d.size;
    // The first six are int64 deltas: sum as signed, keep as wrapping uint64.
    sum.committed += i64(buf, d.committed, base);
    sum.released += i64(buf, d.released, base);
    sum.inHeap += i64(buf, d.inHeap, base);
    sum.inStacks += i64(buf, d.inStacks, base);
    sum.inWorkBufs += i64(buf, d.inWorkBufs, base);
    if (d.inPtrScalarBits) sum.inPtrScalarBits += i64(buf, d.inPtrScalarBits, base);
    sum.tinyAllocCount += u(buf, d.tinyAllocCount, base);
    sum.largeAlloc += u(buf, d.largeAlloc, base);
    sum.largeAllocCount += u(buf, d.largeAllocCount, base);
    sum.largeFree += u(buf, d.largeFree, base);
    sum.largeFreeCount += u(buf, d.largeFreeCount, base);
    for (let i = 0; i < d.classes; i++) {
      sum.smallAllocCount[i]! += u(buf, elem(d.smallAllocCount, i, counterSize), base);
      sum.smallFreeCount[i]! += u(buf, elem(d.smallFreeCount, i, counterSize), base);
    }
  }
  for (const k of ['committed', 'released', 'inHeap', 'inStacks', 'inWorkBufs', 'inPtrScalarBits', 'tinyAllocCount', 'largeAlloc', 'largeAllocCount', 'largeFree', 'largeFreeCount'] as const) {
    sum[k] = wrap(sum[k]);
  }
  sum.smallAllocCount = sum.smallAllocCount.map(wrap);
  sum.smallFreeCount = sum.smallFreeCount.map(wrap);
  return sum;
}

/**
 * Reads many same-sized structs (mspans come from fixalloc chunks, so they sit close
 * together) with as few reads as possible: nearby addresses are merged into one range.
 */
export function batchReader(mem: Memory, size: number, maxGap = 4096, maxRange = 256 * 1024): (addrs: bigint[]) => Promise<Map<bigint, Buffer>> {
  return async (addrs) => {
    const sorted = [...new Set(addrs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const ranges: Array<{ start: bigint; end: bigint; members: bigint[] }> = [];
    for (const a of sorted) {
      const r = ranges[ranges.length - 1];
      if (r && a - r.end <= BigInt(maxGap) && a + BigInt(size) - r.start <= BigInt(maxRange)) {
        r.end = a + BigInt(size) > r.end ? a + BigInt(size) : r.end;
        r.members.push(a);
      } else ranges.push({ start: a, end: a + BigInt(size), members: [a] });
    }
    const out = new Map<bigint, Buffer>();
    await Promise.all(
      ranges.map(async (r) => {
        const buf = await mem.read(r.start, Number(r.end - r.start));
        for (const a of r.members) out.set(a, buf.subarray(Number(a - r.start), Number(a - r.start) + size));
      }),
    );
    return out;
  };
}

export async function readSnapshot(ctx: ReadContext): Promise<Snapshot> {
  const { mem, layout: L, bias } = ctx;
  const G = L.globals;
  const ptr = (b: Buffer, o = 0): bigint => b.readBigUInt64LE(o);

  const callers = ctx.callers ? L.callers : undefined;

  // Round 1: the globals.
  const mheapBase = addrOf(G.mheap, bias);
  const K = L.counts;
  const [ms, gcb, mh, allpHdr, gmp, phase, sema, pool, glen, sched] = await Promise.all([
    mem.read(addrOf(G.memstats, bias), L.mstats.readSize),
    mem.read(addrOf(G.gcController, bias), L.gc.size),
    readFields(mem, mheapBase, { sweepgen: L.mheap.sweepgen, spanalloc: L.mheap.spanallocInuse, cachealloc: L.mheap.cacheallocInuse, lock: L.mheap.lockKey, arenas: L.mheap.arenas }),
    mem.read(addrOf(G.allp, bias), G.allp.size),
    mem.read(addrOf(G.gomaxprocs, bias), G.gomaxprocs.size),
    mem.read(addrOf(G.gcphase, bias), G.gcphase.size),
    G.metricsSema ? mem.read(addrOf(G.metricsSema, bias), G.metricsSema.size) : Promise.resolve(undefined),
    G.spanSetBlockPool ? mem.read(addrOf(G.spanSetBlockPool, bias), 8) : Promise.resolve(undefined),
    K ? mem.read(addrOf(K.allglen, bias), 8) : Promise.resolve(undefined),
    K ? readFields<string>(mem, addrOf(K.sched, bias), { ngsys: K.ngsys, mnext: K.mnext, nmfreed: K.nmfreed, ...Object.fromEntries(K.schedGFree.map((x, i) => [`gFree${i}`, x])) }) : Promise.resolve(undefined),
  ]);
  const M = L.mstats;
  const gc = L.gc;
  const snapshot: Omit<Snapshot, 'ps' | 'stackSpans' | 'spanSets' | 'blockPoolDepth' | 'cost'> = {
    delta: sumDeltas(ms, L),
    heapStatsGen: n(ms, M.heapStatsGen),
    noPLockKey: u(ms, M.noPLockKey),
    sys: { stacks: u(ms, M.stacks_sys), mspan: u(ms, M.mspan_sys), mcache: u(ms, M.mcache_sys), buckhash: u(ms, M.buckhash_sys), gcMisc: u(ms, M.gcMiscSys), other: u(ms, M.other_sys) },
    history: {
      lastGC: u(ms, M.last_gc_unix),
      pauseTotalNs: u(ms, M.pause_total_ns),
      pauseNs: Array.from({ length: 256 }, (_, k) => u(ms, elem(M.pause_ns, k, 8))),
      pauseEnd: Array.from({ length: 256 }, (_, k) => u(ms, elem(M.pause_end, k, 8))),
      numGC: n(ms, M.numgc),
      numForcedGC: n(ms, M.numforcedgc),
      gcCPUFraction: f64(ms, M.gc_cpu_fraction),
    },
    gc: {
      heapInUse: u(gcb, gc.heapInUse), heapReleased: u(gcb, gc.heapReleased), heapFree: u(gcb, gc.heapFree),
      totalAlloc: u(gcb, gc.totalAlloc), totalFree: u(gcb, gc.totalFree), mappedReady: u(gcb, gc.mappedReady),
      gcPercentHeapGoal: u(gcb, gc.gcPercentHeapGoal), sweepDistMinTrigger: u(gcb, gc.sweepDistMinTrigger),
      memoryLimit: i64(gcb, gc.memoryLimit), triggered: u(gcb, gc.triggered), heapMarked: u(gcb, gc.heapMarked),
      gcPercent: Number(BigInt.asIntN(32, u(gcb, gc.gcPercent))),
    },
    mheap: { sweepgen: Number(mh.sweepgen), spanallocInuse: mh.spanalloc, cacheallocInuse: mh.cachealloc, lockKey: mh.lock },
    gomaxprocs: gmp.readInt32LE(0),
    gcphase: phase.readUInt32LE(0),
    metricsSema: sema?.readUInt32LE(0),
    counts:
      K && glen && sched
        ? {
            allglen: glen.readBigUInt64LE(0),
            // int32 counters: summed as signed, like gcount() does
            schedGFree: K.schedGFree.reduce((sum, _, i) => sum + Number(BigInt.asIntN(32, sched[`gFree${i}`]!)), 0),
            ngsys: Number(BigInt.asIntN(32, sched.ngsys!)),
            mnext: sched.mnext!,
            nmfreed: sched.nmfreed!,
          }
        : undefined,
  };

  // Round 2: allp[0 .. gomaxprocs).
  const allpArray = ptr(allpHdr, 0);
  const allpLen = Number(allpHdr.readBigInt64LE(8));
  const nP = Math.min(snapshot.gomaxprocs, allpLen);
  if (nP <= 0 || nP > 1 << 16) throw new GoError(GoErrorCode.READ_FAILED, `implausible gomaxprocs/allp (${snapshot.gomaxprocs}/${allpLen}): not a Go runtime in a readable state`);
  const pptrs = await mem.read(allpArray, nP * 8);

  // Round 3: the Ps.
  const P = L.p;
  const ps: PState[] = await Promise.all(
    Array.from({ length: nP }, async (_, i) => {
      const addr = ptr(pptrs, i * 8);
      const fields: Record<string, F> = { mcache: P.mcache, status: P.status, statsSeq: P.statsSeq, len: P.mspancacheLen, base: P.pallocBase, off: P.pallocOff };
      if (K) fields.gFree = K.pGFree;
      // p.m only when the caller P is wanted (it sits near the start: same read).
      const v: Record<string, bigint> = await readFields(mem, addr, callers ? { ...fields, m: callers.pM } : fields);
      const gFree = v.gFree === undefined ? undefined : Number(BigInt.asIntN(32, v.gFree));
      return { index: i, addr, status: Number(v.status), statsSeq: Number(v.statsSeq), mspancacheLen: Number(v.len), pallocBase: v.base!, pallocOff: v.off!, gFree, m: v.m, mcacheAddr: v.mcache! } as PState & { mcacheAddr: bigint };
    }),
  );

  // The caller P's chain (p.m → m.curg → g.status) runs beside rounds 4 and 5.
  const callerPs = callers ? readCallerPs(mem, callers, ps) : undefined;
  callerPs?.catch(() => undefined); // a failure surfaces where it is awaited (or not at all if a later round threw)

  // Round 4: the mcaches. Round 5: all cached spans in merged ranges, and the stack chains.
  const C = L.mcache;
  const emptymspan = addrOf(G.emptymspan, bias);
  const S = L.mspan;
  const spanBatch = batchReader(mem, S.size);
  const mcAddrs = ps.map((p) => {
    const a = (p as PState & { mcacheAddr: bigint }).mcacheAddr;
    delete (p as Partial<PState & { mcacheAddr: bigint }>).mcacheAddr;
    return a;
  });
  const mcaches = await batchReader(mem, C.size)(mcAddrs.filter((a) => a !== 0n));
  const wanted: Array<{ p: PState; spc: number; addr: bigint }> = [];
  for (const [i, p] of ps.entries()) {
    const mc = mcaches.get(mcAddrs[i]!);
    if (!mc) continue;
    for (let spc = 0; spc < C.spanClasses; spc++) {
      const a = ptr(mc, C.alloc.o + spc * 8);
      if (a !== emptymspan && a !== 0n) wanted.push({ p, spc, addr: a });
    }
  }
  const [spanBufs] = await Promise.all([
    spanBatch(wanted.map((w) => w.addr)),
    Promise.all(
      ps.map(async (p, i) => {
        const mcAddr = mcAddrs[i]!;
        const mc = mcaches.get(mcAddr);
        if (!mc) return;
        const stacks: bigint[][] = await Promise.all(
          Array.from({ length: C.stackOrders }, async (_, order) => {
            const chain: bigint[] = [];
            let x = ptr(mc, C.stackcache.o + order * C.stackEntry + C.stackList.o);
            while (x !== 0n && chain.length < MAX_CHAIN) {
              chain.push(x);
              x = ptr(await mem.read(x, 8)); // gclink.next is the first word of the free stack
            }
            return chain;
          }),
        );
        p.mcache = { addr: mcAddr, tinyAllocs: u(mc, C.tinyAllocs), flushGen: n(mc, C.flushGen), spans: [], stacks };
      }),
    ),
  ]);
  for (const w of wanted) {
    const b = spanBufs.get(w.addr)!;
    w.p.mcache!.spans.push({ spc: w.spc, addr: w.addr, allocCount: n(b, S.allocCount), allocCountBeforeCache: n(b, S.allocCountBeforeCache), nelems: n(b, S.nelems), elemsize: u(b, S.elemsize), sweepgen: n(b, S.sweepgen) });
  }

  // Stack spans (only matter when GC is off: §5.3).
  const stackSpans: StackSpan[] = [];
  const allStacks = ps.flatMap((p) => p.mcache?.stacks.flat() ?? []);
  if (snapshot.gcphase === 0 && allStacks.length > 0) {
    const heapArenaBytes = BigInt(L.constants.heapArenaBytes);
    const pageSize = BigInt(L.constants.pageSize);
    const arenaBase = L.constants.arenaBaseOffset !== undefined ? BigInt(L.constants.arenaBaseOffset) : ctx.arch.arenaBaseOffset;
    const arenasL1 = mh.arenas; // *[N]*heapArena (L1 has one entry on linux/amd64)
    if (L.mheap.arenasL1 !== 1) throw new GoError(GoErrorCode.LAYOUT, `arena map with ${L.mheap.arenasL1} L1 entries is not supported`);
    // arenas[0][ai] for each distinct arena, then the spans[] entries, both batched.
    const arenaIdx = allStacks.map((x) => wrap(x - arenaBase) / heapArenaBytes);
    const l2 = await batchReader(mem, 8)(arenaIdx.map((ai) => arenasL1 + ai * 8n));
    const entryAddr = allStacks.map((x, k) => ptr(l2.get(arenasL1 + arenaIdx[k]! * 8n)!) + BigInt(L.heapArena.spans.o) + ((x / pageSize) % BigInt(L.pagesPerArena)) * 8n);
    const entries = await batchReader(mem, 8)(entryAddr);
    const byspan = new Map<bigint, number>();
    for (const e of entryAddr) {
      const s = ptr(entries.get(e)!);
      byspan.set(s, (byspan.get(s) ?? 0) + 1);
    }
    const bufs = await spanBatch([...byspan.keys()]);
    for (const [addr, cached] of byspan) {
      const b = bufs.get(addr)!;
      stackSpans.push({ addr, allocCount: n(b, S.allocCount), npages: u(b, S.npages), cached });
    }
  }

  // §5.4: the spanSets the flush would push onto, and the block pool.
  const spanSets = new Map<string, SpanSetState>();
  const half = BigInt(Math.floor(snapshot.mheap.sweepgen / 2) % 2);
  const pushes = ps.flatMap((p) => p.mcache?.spans.filter((s) => s.sweepgen !== snapshot.mheap.sweepgen + 1) ?? []);
  const needed = new Set(pushes.map((s) => `${s.spc}/${s.nelems - s.allocCount > 0 ? 'partial' : 'full'}`));
  if (needed.size > 0) {
    // One read of mheap_.central covers every span set (~26 KB): far cheaper than one per class.
    const central = await mem.read(mheapBase + BigInt(L.mheap.central.o), L.mheap.central.s);
    for (const key of needed) {
      const [spcStr, which] = key.split('/') as [string, 'partial' | 'full'];
      const at = Number(spcStr) * L.mheap.centralEntry + L.mheap.mcentralInEntry + L.mcentral[which].o + Number(half) * L.mcentral.spanSetSize;
      const index = u(central, L.spanSet.index, at);
      spanSets.set(key, { spineLen: u(central, L.spanSet.spineLen, at), spineCap: u(central, L.spanSet.spineCap, at), tail: index & 0xffffffffn });
    }
  }
  let blockPoolDepth: number | undefined;
  const blocks = spanSetPushPlan(ps, spanSets, snapshot.mheap.sweepgen, L.spanSetBlockEntries, BigInt(L.constants.spanSetInitSpineCap)).blocksNeeded;
  const shift = L.constants.lfstackShift;
  if (pool && blocks > 0 && shift !== undefined) {
    blockPoolDepth = 0;
    let w = ptr(pool);
    while (w !== 0n && blockPoolDepth < blocks) {
      blockPoolDepth++;
      w = ptr(await mem.read(unpackTagged(w, shift, L.constants.lfstackAlignBits, ctx.arch), 8)); // lfnode.next is the first word
    }
  } else if (blocks === 0) blockPoolDepth = 0;

  return { ...snapshot, ps, stackSpans, spanSets, blockPoolDepth, callerPs: await callerPs, cost: { reads: 0, bytes: 0 } };
}

/**
 * The Ps a ReadMemStats "at this instant" would run on: those whose goroutine was stopped while
 * running, or inside a syscall that keeps the P (a _Prunning P whose M's goroutine is in
 * _Gsyscall on Go ≥ 1.26; a _Psyscall P before, which exitsyscall's fast path takes back). A
 * syscall whose P sysmon retook (after 10 ms) does not count: the P it gets back depends on
 * scheduling after the resume (the head of the idle list, which waking threads reorder).
 * Sorted P indices; empty when no P qualifies.
 */
async function readCallerPs(mem: Memory, C: CallerLayout, ps: PState[]): Promise<number[]> {
  const hits = await Promise.all(
    ps.map(async (p) => {
      if (C.pSyscall !== undefined && p.status === C.pSyscall) return true;
      if (p.status !== C.pRunning || !p.m) return false;
      const curg = u(await mem.read(p.m + BigInt(C.mCurg.o), C.mCurg.s), { o: 0, s: C.mCurg.s });
      if (curg === 0n) return false; // the M is in the scheduler, not running a goroutine
      const status = Number(u(await mem.read(curg + BigInt(C.gStatus.o), C.gStatus.s), { o: 0, s: C.gStatus.s })) & ~C.gScan;
      return status === C.gRunning || status === C.gSyscall;
    }),
  );
  return ps.filter((_, i) => hits[i]).map((p) => p.index);
}
