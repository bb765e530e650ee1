// The decoder on recorded bytes: replaying one quiet sample per toolchain must give
// exactly the target's own json.Marshal(runtime.MemStats) (scripts/record-memstats-fixture.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AMD64 } from '../../bridge/go/arch.ts';
import type { DecoderLayout } from '../../bridge/go/decoder-layout.ts';
import { heapGoal, memoryLimitHeapGoal } from '../../bridge/go/heap-goal.ts';
import { decodeSnapshot } from '../../bridge/go/memstats.ts';
import { ReplayMemory } from '../../bridge/go/memory.ts';
import { readSnapshot } from '../../bridge/go/read.ts';
import type { Snapshot } from '../../bridge/go/snapshot.ts';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';

interface Recording {
  goVersion: string;
  arch: string;
  bias: string;
  rule: { percent?: string; min: string };
  layout: DecoderLayout;
  regions: Array<{ addr: string; hex: string }>;
  flush: { cachedSpans: number; tinyAllocs: string; spansFreed: number };
  expectedJson: string;
}

const dir = join(import.meta.dirname, '..', 'fixtures', 'memstats');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
t.ok(files.length >= 6, `recordings for every toolchain (${files.join(', ')})`);

async function replay(rec: Recording, edit?: (s: Snapshot) => void): Promise<string> {
  const snap = await readSnapshot({ mem: new ReplayMemory(rec.regions), layout: rec.layout, bias: BigInt(rec.bias), arch: AMD64 });
  edit?.(snap);
  const rule = { percent: rec.rule.percent === undefined ? undefined : BigInt(rec.rule.percent), min: BigInt(rec.rule.min) };
  const d = decodeSnapshot(snap, rec.layout, AMD64, rule);
  return formatMemStatsJson(d.memstats);
}

for (const f of files) {
  const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recording;
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
