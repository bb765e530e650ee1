// Torn-snapshot checks (consistency.ts, memstats-internals.md §6.3) on recorded quiet samples:
// the unedited sample is consistent, and each edit that mimics one writer caught mid-update
// yields exactly its own reason.
import t from 'tap';
import { AMD64 } from '../../bridge/go/decode/arch.ts';
import { mutexHeld, tornReasons } from '../../bridge/go/decode/consistency.ts';
import type { DecoderLayout } from '../../bridge/go/layout/decoder-layout.ts';
import { computeMemStats } from '../../bridge/go/decode/fields.ts';
import { simulateFlush } from '../../bridge/go/decode/flush.ts';
import type { Snapshot } from '../../bridge/go/decode/snapshot.ts';
import { headroomRule, recordings, replaySnapshot, type Recording } from '../support/memstats-recordings.ts';

/** tornReasons of the recorded sample after `edit` (on a fresh snapshot and a copy of the layout). */
async function torn(rec: Recording, edit: (s: Snapshot, L: DecoderLayout) => void = () => undefined): Promise<string[]> {
  const snap = await replaySnapshot(rec);
  const L = structuredClone(rec.layout);
  edit(snap, L);
  const fx = simulateFlush(snap, L, AMD64);
  // The calling P (decodeSnapshot's choice) moves both sides of the checks alike: P0's will do.
  const derived = computeMemStats(snap, fx, fx.perP[0]!, L.classSizes, headroomRule(rec));
  return tornReasons(snap, fx, derived, L);
}

// Lock words as the runtime leaves them. Futex (lock_futex.go, ≤ 1.23 on linux): 0 unlocked,
// 1 mutex_locked, 2 mutex_sleeping (locked, with waiters). Spin-bit (lock_spinbit.go, ≥ 1.24):
// bit 0 mutexLocked, bit 1 mutexSleeping, bit 8 mutexSpinning, bit 9 mutexStackLocked, the
// bits above 0x3ff the sleeping M's address; only bit 0 means held.
const M = 0xc000_1a4000n; // a heap M (2048-byte aligned, low 10 bits free)
const FUTEX_KEYS: Array<[bigint, boolean]> = [
  [0n, false],
  [1n, true],
  [2n, true],
];
const SPINBIT_KEYS: Array<[bigint, boolean]> = [
  [0n, false],
  [1n, true],
  [2n, false], // sleeping hint alone: the holder has unlocked, a waiter is about to be woken
  [0x100n, false], // a waiter spinning on an unlocked mutex
  [M | 0x2n, false],
  [M | 0x302n, false],
  [M | 0x3n, true],
  [M | 0x201n, true],
];

t.test('mutexHeld follows each runtime lock implementation', async (t) => {
  for (const [key, held] of FUTEX_KEYS) t.equal(mutexHeld(key, false), held, `futex key ${key.toString(16)}`);
  for (const [key, held] of SPINBIT_KEYS) t.equal(mutexHeld(key, true), held, `spin-bit key 0x${key.toString(16)}`);
});

const recs = recordings();
const spinbitOf = (r: Recording): boolean => r.layout.features.spinbitMutex;
t.ok(recs.some(spinbitOf) && recs.some((r) => !spinbitOf(r)), 'recordings with both mutex implementations');

for (const rec of recs) {
  const spinbit = spinbitOf(rec);
  t.test(`${rec.goVersion} (${spinbit ? 'spin-bit' : 'futex'} mutex)`, async (t) => {
    t.equal(spinbit, Number(rec.goVersion.split('.')[1]) >= 24, 'spin-bit mutex exactly from go1.24');
    t.same(await torn(rec), [], 'the recorded quiet sample is consistent');

    const lastP = (await replaySnapshot(rec)).ps.at(-1)!.index;
    t.same(
      await torn(rec, (s) => void s.ps.at(-1)!.statsSeq++),
      [`P${lastP} is mid-update of the heap stats (odd statsSeq)`],
      'a P between heapStats.acquire and release',
    );

    for (const [key, held] of spinbit ? SPINBIT_KEYS : FUTEX_KEYS) {
      const hex = `0x${key.toString(16)}`;
      t.same(await torn(rec, (s) => void (s.noPLockKey = key)), held ? ['heapStats.noPLock is held'] : [], `noPLock key ${hex}`);
      t.same(await torn(rec, (s) => void (s.mheap.lockKey = key)), held ? ['mheap_.lock is held'] : [], `mheap_.lock key ${hex}`);
    }

    // runtime/metrics' shard merge runs under metricsSema; internal/godebug takes it too, so
    // it only counts where consistentHeapStats.read is linked (and the symbol exists).
    const withReader = (sema: number | undefined) => (s: Snapshot, L: DecoderLayout) => {
      L.features.concurrentStatsReader = true;
      s.metricsSema = sema;
    };
    t.same(await torn(rec, withReader(0)), ['a runtime/metrics reader may be merging shards (metricsSema held)'], 'metricsSema 0, reader linked');
    t.same(await torn(rec, withReader(1)), [], 'metricsSema 1, reader linked');
    t.same(await torn(rec, withReader(undefined)), [], 'no metricsSema symbol');
    t.same(await torn(rec, (s) => void (s.metricsSema = 0)), [], 'metricsSema 0 without the reader (godebug only)');

    // An mcache that missed prepareForSweep: flushGen is the previous sweepgen and its spans
    // were cached before the sweepgen bump, so they read as sweepgen + 1.
    let spans = 0;
    const stale = (s: Snapshot) => {
      const c = s.ps[0]!.mcache!;
      c.flushGen = s.mheap.sweepgen - 2;
      for (const sp of c.spans) sp.sweepgen = s.mheap.sweepgen + 1;
      spans = c.spans.length;
    };
    const staleReasons = await torn(rec, stale);
    t.ok(spans > 0, `P0 has cached spans (${spans})`);
    t.same(staleReasons, [`mcaches not yet prepared for sweep (1 mcaches, ${spans} stale spans)`], 'stale mcache');
    t.same(
      await torn(rec, (s) => void (s.ps[1]!.mcache!.flushGen = s.mheap.sweepgen - 2)),
      ['mcaches not yet prepared for sweep (1 mcaches, 0 stale spans)'],
      'a stale flushGen alone',
    );

    // mheap.allocSpan after unlocking h.lock: gcController.heapFree/heapInUse already moved, the
    // sharded inHeap not yet (before heapStats.acquire: even statsSeq, no lock held). Only the
    // inUse == inHeap invariant sees it; heapInUse + heapFree (retained) is unchanged.
    const page = BigInt(rec.layout.constants.pageSize);
    const inHeap = (await replaySnapshot(rec)).delta.inHeap;
    t.same(
      await torn(rec, (s) => {
        s.gc.heapInUse += page;
        s.gc.heapFree -= page;
      }),
      [`heapInUse ${inHeap + page} ≠ consistent inHeap ${inHeap}`],
      'span allocation between the gcController and the sharded update',
    );
  });
}
