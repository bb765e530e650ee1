// The decoder on recorded bytes: replaying one quiet sample per toolchain must give
// exactly the target's own json.Marshal(runtime.MemStats) (scripts/record-memstats-fixture.ts).
import t from 'tap';
import { AMD64 } from '../../bridge/go/decode/arch.ts';
import { heapGoal, memoryLimitHeapGoal } from '../../bridge/go/decode/heap-goal.ts';
import { decodeSnapshot } from '../../bridge/go/decode/memstats.ts';
import type { Snapshot } from '../../bridge/go/decode/snapshot.ts';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { headroomRule, recordings, replaySnapshot, type Recording } from '../support/memstats-recordings.ts';

const all = recordings();
t.ok(all.length >= 6, `recordings for every toolchain (${all.map((r) => r.goVersion).join(', ')})`);

async function replay(rec: Recording, edit?: (s: Snapshot) => void): Promise<string> {
  const snap = await replaySnapshot(rec);
  edit?.(snap);
  return formatMemStatsJson(decodeSnapshot(snap, rec.layout, AMD64, headroomRule(rec)).memstats);
}

for (const rec of all) {
  t.test(`${rec.goVersion}: recorded sample decodes to ReadMemStats exactly`, async (t) => {
    t.equal(await replay(rec), rec.expectedJson, 'byte-identical json.Marshal(MemStats)');
    t.ok(rec.flush.cachedSpans > 0 && BigInt(rec.flush.tinyAllocs) >= 0n, `unflushed: ${rec.flush.cachedSpans} cached spans`);
  });
  t.test(`${rec.goVersion}: each correction matters (the test can fail)`, async (t) => {
    // Without the mcache span/tiny correction (§5.1): Mallocs etc. differ.
    const noSpans = await replay(rec, (s) => {
      for (const p of s.ps) if (p.mcache) p.mcache = { ...p.mcache, spans: [], tinyAllocs: 0n };
    });
    t.not(noSpans, rec.expectedJson, 'dropping the cached-span correction changes the result');
    if (rec.flush.spansFreed > 0) {
      const noStacks = await replay(rec, (s) => {
        s.stackSpans = [];
      });
      t.not(noStacks, rec.expectedJson, 'dropping the stack-cache correction changes the result');
    }
  });
}

t.test('heap goal: GOGC goal, sweep floor, in-cycle runway, memory-limit headroom', async (t) => {
  const base = {
    gcPercentHeapGoal: 8_000_000n, sweepDistMinTrigger: 0n, triggered: (1n << 64n) - 1n, heapMarked: 4_000_000n,
    memoryLimit: (1n << 63n) - 1n, heapFree: 1_000_000n, totalAlloc: 50_000_000n, totalFree: 44_000_000n, mappedReady: 20_000_000n,
  };
  const pct = { percent: 3n, min: 1n << 20n };
  t.equal(heapGoal(base, pct), 8_000_000n, 'no limit: the GOGC goal');
  t.equal(heapGoal({ ...base, sweepDistMinTrigger: 9_000_000n }, pct), 9_000_000n, 'raised to sweepDistMinTrigger');
  t.equal(heapGoal({ ...base, triggered: 7_990_000n }, pct), 7_990_000n + 65536n, 'in a cycle: triggered + 64 KiB');
  // GOGC=off, no limit: ≈ 0.97·2^63 on ≥ 1.21 (divide by 100 first, then ×3).
  const off = { ...base, gcPercentHeapGoal: (1n << 64n) - 1n };
  const nonHeap = base.mappedReady - base.heapFree - (base.totalAlloc - base.totalFree);
  const g = (1n << 63n) - 1n - nonHeap;
  t.equal(heapGoal(off, pct), g - (g / 100n) * 3n);
  t.equal(heapGoal(off, { min: 1n << 20n }), g - (1n << 20n), '1.19: fixed 1 MiB headroom');
  // A limit below the non-heap memory: the goal collapses to heapMarked.
  t.equal(memoryLimitHeapGoal({ ...base, memoryLimit: 1_000_000n }, pct), base.heapMarked);
  // Small goals: headroom floor.
  t.equal(memoryLimitHeapGoal({ ...base, memoryLimit: nonHeap + 1_500_000n }, pct), base.heapMarked, 'goal − headroom < heapMarked → heapMarked');
});

t.test('the caller P decides the P-dependent fields; without one they are estimated with their bound', async (t) => {
  const rec = all.find((r) => r.flush.spansFreed > 0);
  if (!rec) return t.fail('no recording frees a stack span (re-record with scripts/record-memstats-fixture.ts)');
  // P1's mspancache is full, P0's empty: the span structs the flush frees stay cached (in use)
  // on P0 but go back to spanalloc on P1 (memstats-internals.md §5.3).
  const decode = async (callerPs: number[] | undefined) => {
    const snap = await replaySnapshot(rec);
    snap.ps[0]!.mspancacheLen = 0;
    snap.ps[1]!.mspancacheLen = rec.layout.p.mspancacheCap;
    snap.callerPs = callerPs;
    return decodeSnapshot(snap, rec.layout, AMD64, headroomRule(rec));
  };
  const any = await decode(undefined);
  const on0 = await decode([0]);
  const on1 = await decode([1]);
  t.ok(any.estimated.MSpanInuse, `no caller P: MSpanInuse estimated ± ${any.estimated.MSpanInuse?.bound}`);
  t.equal(any.callerPs, undefined);
  t.same(Object.keys(on0.estimated), [], 'caller P0: nothing estimated');
  t.same(Object.keys(on1.estimated), [], 'caller P1: nothing estimated');
  t.ok(on1.decidedByCallerP.includes('MSpanInuse'), `the caller P settled MSpanInuse (and ${on1.decidedByCallerP.join(', ')})`);
  const spread = on0.memstats.MSpanInuse - on1.memstats.MSpanInuse;
  t.equal(spread, BigInt(on1.flush.spansFreed * rec.layout.mspan.size), `on P1 the ${on1.flush.spansFreed} freed span structs leave MSpanInuse`);
  t.equal(any.estimated.MSpanInuse?.bound, spread, 'the bound is the spread between the Ps');
});
