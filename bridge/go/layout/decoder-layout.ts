// Everything the decoder needs to know about one Go binary, resolved once from DWARF
// through MI and cached by Go build ID: global addresses (link-time), member offsets and
// sizes, the size-class table and the feature set. JSON-serialisable (addresses as hex).
import { parseArrayType } from './ptype.ts';
import { GoError, GoErrorCode } from '../errors.ts';
import type { FieldLayout, LayoutResolver } from './layout.ts';

export const LAYOUT_SCHEMA_VERSION = 9;

/** offset/size pairs; `size` tells the reader how wide the scalar is. */
export interface F {
  o: number;
  s: number;
}

export interface Global {
  /** Link-time address, hex. Add the load bias for PIE. */
  addr: string;
  size: number;
}

export interface DecoderLayout {
  schema: number;
  buildVersion: string;
  features: {
    /** heapStatsDelta.inPtrScalarBits (≤ 1.23/1.24): part of Sys and GCSys. */
    inPtrScalarBits: boolean;
    /** runtime.mWaitList exists: spin-bit mutex (≥ 1.24), "held" is key & 1. */
    spinbitMutex: boolean;
    /** runtime.(*consistentHeapStats).read is linked in: a concurrent runtime/metrics reader is possible. */
    concurrentStatsReader: boolean;
    /** the size table's symbol name */
    sizeTable: string;
  };
  globals: {
    memstats: Global;
    gcController: Global;
    mheap: Global;
    allp: Global;
    gomaxprocs: Global;
    emptymspan: Global;
    gcphase: Global;
    metricsSema?: Global | undefined;
    spanSetBlockPool?: Global | undefined;
  };
  /** size[i] for the 68 classes (class 0 = 0). */
  classSizes: number[];
  mstats: {
    heapStatsStats: F; // offset of stats[0], s = sizeof heapStatsDelta
    heapStatsGen: F;
    noPLockKey: F;
    stacks_sys: F; mspan_sys: F; mcache_sys: F; buckhash_sys: F; gcMiscSys: F; other_sys: F;
    last_gc_unix: F; pause_total_ns: F; pause_ns: F; pause_end: F; numgc: F; numforcedgc: F; gc_cpu_fraction: F;
    /** bytes of mstats to read to cover all the above */
    readSize: number;
  };
  delta: {
    committed: F; released: F; inHeap: F; inStacks: F; inWorkBufs: F; inPtrScalarBits?: F | undefined;
    tinyAllocCount: F; largeAlloc: F; largeAllocCount: F; smallAllocCount: F; largeFree: F; largeFreeCount: F; smallFreeCount: F;
    /** number of size classes in the arrays (68) */
    classes: number;
    size: number;
  };
  gc: {
    heapInUse: F; heapReleased: F; heapFree: F; totalAlloc: F; totalFree: F; mappedReady: F;
    gcPercentHeapGoal: F; sweepDistMinTrigger: F; memoryLimit: F; triggered: F; heapMarked: F; gcPercent: F;
    size: number;
  };
  p: { mcache: F; statsSeq: F; status: F; mspancacheLen: F; mspancacheCap: number; pallocBase: F; pallocOff: F; size: number };
  mcache: { tinyAllocs: F; alloc: F; spanClasses: number; stackcache: F; stackOrders: number; stackEntry: number; stackList: F; flushGen: F; size: number };
  mspan: { npages: F; nelems: F; allocCount: F; allocCountBeforeCache: F; elemsize: F; sweepgen: F; spanclass: F; size: number };
  mheap: {
    sweepgen: F; spanallocInuse: F; cacheallocInuse: F; lockKey: F;
    arenas: F; arenasL1: number; arenasL2: number;
    central: F; centralCount: number; centralEntry: number; mcentralInEntry: number;
  };
  heapArena: { spans: F; spansCount: number };
  mcentral: { partial: F; full: F; spanSetSize: number };
  spanSet: { spineLen: F; spineCap: F; index: F };
  spanSetBlockSize: number;
  spanSetBlockEntries: number;
  /** What finds the P a goroutine on an M would run ReadMemStats on (§ pitfall 12); absent = unknowable here. */
  callers?: CallerLayout | undefined;
  /** What runtime.NumGoroutine and the M count are computed from; absent = names this code does not know. */
  counts?: CountLayout | undefined;
  /** heapArenaBytes / pageSize, from heapArena.spans' array length */
  pagesPerArena: number;
  /** Runtime constants Go emits in DWARF (decimal strings). */
  constants: {
    pageSize: string;
    heapArenaBytes: string;
    spanSetInitSpineCap: string;
    persistentChunkSize: string;
    cacheLineSize: string;
    /** lfstack/taggedPointer unpacking: ptr = (int64(v) >> shift) << alignBits */
    lfstackShift?: number | undefined;
    lfstackAlignBits: number;
    /** runtime.arenaBaseOffsetUintptr (hex) when DWARF has it */
    arenaBaseOffset?: string | undefined;
    /** memory-limit goal headroom: ≥ 1.21 percent with a floor; 1.19 fixed bytes */
    headroomPercent?: number | undefined;
    headroomMin: string;
  };
}

/**
 * What tells, from the Ps, which ones a goroutine would run ReadMemStats on right now: a P's
 * M (p.m), that M's goroutine (m.curg) and its status (read.ts readCallerPs).
 */
export interface CallerLayout {
  pM: F;
  mCurg: F;
  gStatus: F;
  /** g status values and the scan bit, from DWARF constants. */
  gRunning: number;
  gSyscall: number;
  gScan: number;
  pRunning: number;
  /** P status _Psyscall (≤ 1.25: the P a syscall left behind); absent from 1.26, where m.p stays wired. */
  pSyscall?: number | undefined;
}

/**
 * runtime.gcount(): allglen − the free gs (sched's lists and every P's) − system goroutines;
 * mcount(): sched.mnext − sched.nmfreed, the length of allm that ThreadCreateProfile counts.
 */
export interface CountLayout {
  allglen: Global;
  sched: Global;
  /** sched.gFree's counters: [n] up to 1.25, [stack.size, noStack.size] from 1.26 */
  schedGFree: F[];
  ngsys: F;
  mnext: F;
  nmfreed: F;
  /** p.gFree.n, or p.gFree.size from 1.26 */
  pGFree: F;
}

const f = (x: FieldLayout): F => ({ o: x.offset, s: x.size });

/** Resolves a DecoderLayout. Throws GO_ERR_UNSUPPORTED_VERSION for pre-1.19 layouts. */
export async function resolveDecoderLayout(r: LayoutResolver, readStatic: (addr: bigint, size: number) => Promise<Buffer>): Promise<DecoderLayout> {
  // Fire the ptype/o round trips together: the MI client pipelines them.
  const types = ['runtime.mstats', 'runtime.consistentHeapStats', 'runtime.heapStatsDelta', 'runtime.gcControllerState', 'runtime.p', 'runtime.mcache',
    'runtime.mspan', 'runtime.mheap', 'runtime.heapArena', 'runtime.mcentral', 'runtime.spanSet', 'runtime.stackfreelist', 'runtime.mutex', 'runtime.fixalloc', 'runtime.m', 'runtime.g'];
  await Promise.all(types.map((t) => r.ptype(t)));

  const versionLen = await r.evaluate("'runtime.buildVersion'.len");
  const versionPtr = await r.evaluate("(unsigned long)'runtime.buildVersion'.str");
  let buildVersion = 'unknown';
  if (versionLen !== undefined && versionPtr !== undefined && Number(versionLen) > 0 && Number(versionLen) < 256) {
    buildVersion = (await readStatic(BigInt(versionPtr), Number(versionLen))).toString('utf8');
  }

  // Family check by member presence (memstats-internals.md §1).
  const hasHeapInUse = await r.field('runtime.gcControllerState', 'heapInUse');
  const hasBeforeCache = await r.field('runtime.mspan', 'allocCountBeforeCache');
  if (!hasHeapInUse || !hasBeforeCache) {
    throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `unsupported Go version ${buildVersion}: mstat-bridge reads Go 1.19 and newer (this runtime predates gcController.heapInUse / mspan.allocCountBeforeCache); rebuild it with a newer toolchain`, { context: { buildVersion } });
  }

  const M = 'runtime.mstats';
  const D = 'runtime.heapStatsDelta';
  const G = 'runtime.gcControllerState';
  const L = async (t: string, p: string): Promise<F> => f(await r.requireLeaf(t, p));
  const Lopt = async (t: string, p: string): Promise<F | undefined> => {
    const x = await r.leaf(t, p);
    return x ? f(x) : undefined;
  };

  const stats = await r.field(M, 'heapStats.stats');
  const deltaStruct = await r.requireStruct(D);
  if (!stats) throw new GoError(GoErrorCode.LAYOUT, 'runtime.mstats.heapStats.stats not found');

  const mstatsFields = {
    heapStatsStats: { o: stats.offset, s: deltaStruct.size },
    heapStatsGen: await L(M, 'heapStats.gen'),
    noPLockKey: await L(M, 'heapStats.noPLock.key'),
    stacks_sys: await L(M, 'stacks_sys'), mspan_sys: await L(M, 'mspan_sys'), mcache_sys: await L(M, 'mcache_sys'),
    buckhash_sys: await L(M, 'buckhash_sys'), gcMiscSys: await L(M, 'gcMiscSys'), other_sys: await L(M, 'other_sys'),
    last_gc_unix: await L(M, 'last_gc_unix'), pause_total_ns: await L(M, 'pause_total_ns'), pause_ns: await L(M, 'pause_ns'),
    pause_end: await L(M, 'pause_end'), numgc: await L(M, 'numgc'), numforcedgc: await L(M, 'numforcedgc'), gc_cpu_fraction: await L(M, 'gc_cpu_fraction'),
  };
  const readSize = Math.max(...Object.values(mstatsFields).map((x) => x.o + x.s), stats.offset + 3 * deltaStruct.size);

  const small = await r.requireLeaf(D, 'smallAllocCount');
  const classes = parseArrayType(small.type)?.count ?? 0;
  const delta = {
    committed: await L(D, 'committed'), released: await L(D, 'released'), inHeap: await L(D, 'inHeap'), inStacks: await L(D, 'inStacks'),
    inWorkBufs: await L(D, 'inWorkBufs'), inPtrScalarBits: await Lopt(D, 'inPtrScalarBits'),
    tinyAllocCount: await L(D, 'tinyAllocCount'), largeAlloc: await L(D, 'largeAlloc'), largeAllocCount: await L(D, 'largeAllocCount'),
    smallAllocCount: f(small), largeFree: await L(D, 'largeFree'), largeFreeCount: await L(D, 'largeFreeCount'),
    smallFreeCount: await L(D, 'smallFreeCount'), classes, size: deltaStruct.size,
  };

  const gcStruct = await r.requireStruct(G);
  const gc = {
    heapInUse: await L(G, 'heapInUse'), heapReleased: await L(G, 'heapReleased'), heapFree: await L(G, 'heapFree'),
    totalAlloc: await L(G, 'totalAlloc'), totalFree: await L(G, 'totalFree'), mappedReady: await L(G, 'mappedReady'),
    gcPercentHeapGoal: await L(G, 'gcPercentHeapGoal'), sweepDistMinTrigger: await L(G, 'sweepDistMinTrigger'),
    memoryLimit: await L(G, 'memoryLimit'), triggered: await L(G, 'triggered'), heapMarked: await L(G, 'heapMarked'),
    gcPercent: await L(G, 'gcPercent'), size: gcStruct.size,
  };

  const P = 'runtime.p';
  const pStruct = await r.requireStruct(P);
  const p = {
    mcache: await L(P, 'mcache'), statsSeq: await L(P, 'statsSeq'), status: await L(P, 'status'),
    mspancacheLen: await L(P, 'mspancache.len'), mspancacheCap: parseArrayType((await r.requireLeaf(P, 'mspancache.buf')).type)?.count ?? 0, pallocBase: await L(P, 'palloc.base'), pallocOff: await L(P, 'palloc.off'), size: pStruct.size,
  };

  const C = 'runtime.mcache';
  const cStruct = await r.requireStruct(C);
  const alloc = await r.requireLeaf(C, 'alloc');
  const stackcache = await r.requireLeaf(C, 'stackcache');
  const sfl = await r.requireStruct('runtime.stackfreelist');
  const mcache = {
    tinyAllocs: await L(C, 'tinyAllocs'), alloc: f(alloc), spanClasses: parseArrayType(alloc.type)?.count ?? 0,
    stackcache: f(stackcache), stackOrders: parseArrayType(stackcache.type)?.count ?? 0, stackEntry: sfl.size,
    stackList: await L('runtime.stackfreelist', 'list'), flushGen: await L(C, 'flushGen'), size: cStruct.size,
  };

  const S = 'runtime.mspan';
  const sStruct = await r.requireStruct(S);
  const mspan = {
    npages: await L(S, 'npages'), nelems: await L(S, 'nelems'), allocCount: await L(S, 'allocCount'), allocCountBeforeCache: await L(S, 'allocCountBeforeCache'),
    elemsize: await L(S, 'elemsize'), sweepgen: await L(S, 'sweepgen'), spanclass: await L(S, 'spanclass'), size: sStruct.size,
  };

  const H = 'runtime.mheap';
  const arenas = await r.requireLeaf(H, 'arenas');
  const arenasArr = parseArrayType(arenas.type);
  const l2 = arenasArr ? parseArrayType(arenasArr.elem.replace(/^\*/, '')) : undefined;
  const central = await r.requireLeaf(H, 'central');
  const centralArr = parseArrayType(central.type);
  const mcentralInEntry = ((await r.offsetOf(H, 'central[0].mcentral')) ?? Number.NaN) - central.offset;
  const mheap = {
    sweepgen: await L(H, 'sweepgen'), spanallocInuse: await L(H, 'spanalloc.inuse'), cacheallocInuse: await L(H, 'cachealloc.inuse'), lockKey: await L(H, 'lock.key'),
    arenas: f(arenas), arenasL1: arenasArr?.count ?? 0, arenasL2: l2?.count ?? 0,
    central: f(central), centralCount: centralArr?.count ?? 0, centralEntry: centralArr ? central.size / centralArr.count : 0, mcentralInEntry,
  };

  const spans = await r.requireLeaf('runtime.heapArena', 'spans');
  const spansCount = parseArrayType(spans.type)?.count ?? 0;
  const mcentral = { partial: await L('runtime.mcentral', 'partial'), full: await L('runtime.mcentral', 'full'), spanSetSize: (await r.requireStruct('runtime.spanSet')).size };
  const spanSet = { spineLen: await L('runtime.spanSet', 'spineLen'), spineCap: await L('runtime.spanSet', 'spineCap'), index: await L('runtime.spanSet', 'index') };
  const spanSetBlockSize = Number((await r.evaluate("sizeof('runtime.spanSetBlock')")) ?? 0);
  const blockSpans = await r.field('runtime.spanSetBlock', 'spans');
  const spanSetBlockEntries = blockSpans ? (parseArrayType(blockSpans.type)?.count ?? 0) : 0;

  const g = async (name: string): Promise<Global | undefined> => {
    const x = await r.global(name);
    return x ? { addr: `0x${x.address.toString(16)}`, size: x.size } : undefined;
  };
  const req = async (name: string): Promise<Global> => {
    const x = await g(name);
    if (!x) throw new GoError(GoErrorCode.LAYOUT, `global ${name} not found in the binary`);
    return x;
  };
  let sizeTable = 'runtime.class_to_size';
  let table = await g(sizeTable);
  if (!table) {
    sizeTable = 'internal/runtime/gc.SizeClassToSize';
    table = await req(sizeTable);
  }
  const tableBytes = await readStatic(BigInt(table.addr), table.size);
  const entry = table.size / classes;
  const classSizes: number[] = [];
  for (let i = 0; i < classes; i++) classSizes.push(entry === 2 ? tableBytes.readUInt16LE(i * 2) : tableBytes.readUInt32LE(i * 4));

  const globals = {
    memstats: await req('runtime.memstats'), gcController: await req('runtime.gcController'), mheap: await req('runtime.mheap_'),
    allp: await req('runtime.allp'), gomaxprocs: await req('runtime.gomaxprocs'), emptymspan: await req('runtime.emptymspan'),
    gcphase: await req('runtime.gcphase'), metricsSema: await g('runtime.metricsSema'), spanSetBlockPool: await g('runtime.spanSetBlockPool'),
  };

  const constant = async (name: string): Promise<string | undefined> => {
    const v = await r.evaluate(`'${name}'`);
    return v !== undefined && /^-?\d+$/.test(v) ? v : undefined;
  };
  const reqConst = async (name: string): Promise<string> => {
    const v = await constant(name);
    if (v === undefined) throw new GoError(GoErrorCode.LAYOUT, `constant ${name} not found in the binary's DWARF`);
    return v;
  };
  const headroomPercent = await constant('runtime.memoryLimitHeapGoalHeadroomPercent');
  const headroomMin = (await constant('runtime.memoryLimitMinHeapGoalHeadroom')) ?? (await reqConst('runtime.memoryLimitHeapGoalHeadroom'));
  const tagBits = (await constant('runtime.tagBits')) ?? (await constant('runtime.cntBits'));
  const constants = {
    pageSize: await reqConst('runtime.pageSize'),
    heapArenaBytes: await reqConst('runtime.heapArenaBytes'),
    spanSetInitSpineCap: await reqConst('runtime.spanSetInitSpineCap'),
    persistentChunkSize: await reqConst('runtime.persistentChunkSize'),
    cacheLineSize: await reqConst('internal/cpu.CacheLineSize'),
    lfstackShift: tagBits === undefined ? undefined : Number(tagBits),
    lfstackAlignBits: Number((await constant('runtime.tagAlignBits')) ?? '3'),
    headroomPercent: headroomPercent === undefined ? undefined : Number(headroomPercent),
    arenaBaseOffset: await (async () => {
      const v = await constant('runtime.arenaBaseOffsetUintptr');
      return v === undefined ? undefined : `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
    })(),
    headroomMin,
  };

  const callers = await resolveCallerLayout(r, constant);
  const counts = await resolveCountLayout(r, g);

  return {
    schema: LAYOUT_SCHEMA_VERSION,
    constants,
    callers,
    counts,
    buildVersion,
    features: {
      inPtrScalarBits: delta.inPtrScalarBits !== undefined,
      spinbitMutex: (await constant('runtime.mutexLocked')) !== undefined || (await r.typeExists('runtime.mWaitList')),
      concurrentStatsReader: (await r.evaluate("(unsigned long)&'runtime.(*consistentHeapStats).read'")) !== undefined,
      sizeTable,
    },
    globals,
    classSizes,
    mstats: { ...mstatsFields, readSize },
    delta,
    gc,
    p,
    mcache,
    mspan,
    mheap,
    heapArena: { spans: f(spans), spansCount },
    mcentral,
    spanSet,
    spanSetBlockSize,
    spanSetBlockEntries,
    pagesPerArena: spansCount,
  };
}

/** Undefined when any piece is missing: then the caller P stays unknowable (fields estimated). */
async function resolveCallerLayout(r: LayoutResolver, constant: (name: string) => Promise<string | undefined>): Promise<CallerLayout | undefined> {
  const leaf = async (t: string, p: string): Promise<F | undefined> => {
    const x = await r.leaf(t, p);
    return x ? f(x) : undefined;
  };
  const [pM, mCurg, gStatus, gRunning, gSyscall, gScan, pRunning, pSyscall] = await Promise.all([
    leaf('runtime.p', 'm'), leaf('runtime.m', 'curg'), leaf('runtime.g', 'atomicstatus'),
    constant('runtime._Grunning'), constant('runtime._Gsyscall'), constant('runtime._Gscan'), constant('runtime._Prunning'), constant('runtime._Psyscall'),
  ]);
  if (!pM || !mCurg || !gStatus || gRunning === undefined || gSyscall === undefined || gScan === undefined || pRunning === undefined) return undefined;
  return {
    pM, mCurg, gStatus,
    gRunning: Number(gRunning), gSyscall: Number(gSyscall), gScan: Number(gScan), pRunning: Number(pRunning),
    pSyscall: pSyscall === undefined ? undefined : Number(pSyscall),
  };
}

/** Undefined when any piece is missing: the sample then has no goroutine and thread counts. */
async function resolveCountLayout(r: LayoutResolver, global: (name: string) => Promise<Global | undefined>): Promise<CountLayout | undefined> {
  const leaf = async (t: string, p: string): Promise<F | undefined> => {
    const x = await r.leaf(t, p);
    return x ? f(x) : undefined;
  };
  const S = 'runtime.schedt';
  const [allglen, sched, gFreeN, gFreeStack, gFreeNoStack, ngsys, mnext, nmfreed, pN, pSize] = await Promise.all([
    global('runtime.allglen'), global('runtime.sched'),
    leaf(S, 'gFree.n'), leaf(S, 'gFree.stack.size'), leaf(S, 'gFree.noStack.size'),
    leaf(S, 'ngsys'), leaf(S, 'mnext'), leaf(S, 'nmfreed'),
    leaf('runtime.p', 'gFree.n'), leaf('runtime.p', 'gFree.size'),
  ]);
  const schedGFree = gFreeN ? [gFreeN] : gFreeStack && gFreeNoStack ? [gFreeStack, gFreeNoStack] : undefined;
  const pGFree = pN ?? pSize;
  if (!allglen || !sched || !schedGFree || !ngsys || !mnext || !nmfreed || !pGFree) return undefined;
  return { allglen, sched, schedGFree, ngsys, mnext, nmfreed, pGFree };
}
