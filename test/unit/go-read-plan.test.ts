// The read planner: coalescing rules, the planned memory's hits and misses, and that a sample
// read through a plan is the same snapshot as one read without (recorded real memory).
import t from 'tap';
import { AMD64 } from '../../bridge/go/decode/arch.ts';
import { GoError, GoErrorCode } from '../../bridge/go/errors.ts';
import type { Memory } from '../../bridge/go/memory/memory.ts';
import { coalesce, PlannedMemory, ReadPlan, type PlanCosts, type Range } from '../../bridge/go/memory/read-plan.ts';
import { readSnapshot } from '../../bridge/go/memory/read.ts';
import { recordings } from '../support/memstats-recordings.ts';

const COSTS: PlanCosts = { mergeGap: 100, maxRange: 1000, maxTotal: 10_000 };
const r = (start: number, end: number): Range => ({ start: BigInt(start), end: BigInt(end) });
const show = (rs: readonly Range[]): string => rs.map((x) => `${x.start}-${x.end}`).join(' ');

t.test('coalesce', async (t) => {
  t.equal(show(coalesce([r(300, 310), r(0, 8), r(4, 16), r(16, 20)], COSTS)), '0-20 300-310', 'overlapping and touching ranges join; far ones stay apart');
  t.equal(show(coalesce([r(0, 8), r(108, 116)], COSTS)), '0-116', 'a gap of mergeGap bytes is read through');
  t.equal(show(coalesce([r(0, 8), r(109, 116)], COSTS)), '0-8 109-116', 'a wider gap is not');
  t.equal(show(coalesce([r(0, 600), r(650, 1001)], COSTS)), '0-600 650-1001', 'no merged range beyond maxRange');
  t.equal(show(coalesce([r(0, 8), r(50, 58)], COSTS, [r(0, 58)])), '0-8 50-58', 'not across a gap inside a range that could not be read whole');
  t.equal(show(coalesce([r(0, 8), r(50, 58), r(200, 208)], COSTS, [r(150, 260)])), '0-58 200-208', 'an unreadable range elsewhere changes nothing here');
  t.equal(show(coalesce([r(5, 5), r(9, 3)], COSTS)), '', 'empty ranges are dropped');
});

/** Bytes at every address: byte = low 8 bits of the address; reads counted. */
class PatternMemory implements Memory {
  reads = 0;
  constructor(private readonly holes: Range[] = []) {}
  async read(addr: bigint, size: number): Promise<Buffer> {
    this.reads++;
    const end = addr + BigInt(size);
    if (this.holes.some((h) => addr < h.end && end > h.start)) throw new GoError(GoErrorCode.READ_FAILED, `hole at 0x${addr.toString(16)}`);
    return Buffer.from(Array.from({ length: size }, (_, i) => Number((addr + BigInt(i)) & 0xffn)));
  }
}

t.test('planned memory: hits, misses, and a planned range that cannot be read', async (t) => {
  const raw = new PatternMemory([r(40, 41)]);
  const mem = new PlannedMemory(raw);
  await mem.prefetch([r(0, 32), r(36, 64), r(100, 200)]);
  t.equal(raw.reads, 3, 'the plan is read up front, one read per range');
  t.same([...(await mem.read(10n, 4))], [10, 11, 12, 13], 'a hit returns the bytes at the address');
  t.same([...(await mem.read(150n, 50))], Array.from({ length: 50 }, (_, i) => 150 + i), 'a hit that ends at the range end');
  t.equal(mem.misses, 0);
  t.same([...(await mem.read(30n, 4))], [30, 31, 32, 33], 'a read that runs past a planned range is a miss, read whole');
  t.same([...(await mem.read(36n, 2))], [36, 37], 'a read in a range whose prefetch failed is a miss');
  await t.rejects(mem.read(40n, 1), { code: GoErrorCode.READ_FAILED }, 'and fails only if it is unreadable itself');
  t.equal(mem.misses, 3);
  t.equal(show(mem.unreadable), '36-64', 'the failed range is reported');
  t.equal(show(mem.accesses), '10-14 150-200 30-34 36-38 40-41', 'every read is recorded');

  const plan = new ReadPlan(COSTS);
  plan.learn(mem);
  t.equal(show(plan.ranges), '10-38 40-41 150-200', 'the next plan: the reads coalesced, not across a gap inside the failed range');
  t.equal(plan.bytes, 28 + 1 + 50);

  const big = new PlannedMemory(new PatternMemory());
  await big.read(0n, 6000);
  await big.read(7000n, 6000);
  plan.learn(big);
  t.same(plan.ranges, [], 'a plan over maxTotal bytes is dropped, not read');
});

/** Recorded regions joined where they touch, so a coalesced range over neighbours can be served. */
function recordedMemory(regions: Array<{ addr: string; hex: string }>): Memory & { reads: number } {
  const blocks: Array<{ start: bigint; bytes: Buffer }> = [];
  for (const g of [...regions].map((x) => ({ start: BigInt(x.addr), bytes: Buffer.from(x.hex, 'hex') })).sort((a, b) => (a.start < b.start ? -1 : 1))) {
    const last = blocks[blocks.length - 1];
    if (last && g.start <= last.start + BigInt(last.bytes.length)) {
      const end = g.start + BigInt(g.bytes.length);
      const lastEnd = last.start + BigInt(last.bytes.length);
      const merged = Buffer.alloc(Number((end > lastEnd ? end : lastEnd) - last.start));
      last.bytes.copy(merged);
      g.bytes.copy(merged, Number(g.start - last.start));
      last.bytes = merged;
    } else blocks.push({ start: g.start, bytes: Buffer.from(g.bytes) });
  }
  return {
    reads: 0,
    async read(addr, size) {
      this.reads++;
      const b = blocks.find((x) => addr >= x.start && addr + BigInt(size) <= x.start + BigInt(x.bytes.length));
      if (!b) throw new GoError(GoErrorCode.READ_FAILED, `nothing recorded at 0x${addr.toString(16)}+${size}`);
      return b.bytes.subarray(Number(addr - b.start), Number(addr - b.start) + size);
    },
  };
}

for (const rec of recordings()) {
  t.test(`${rec.goVersion}: a planned read gives the same snapshot in one round`, async (t) => {
    const ctx = { layout: rec.layout, bias: BigInt(rec.bias), arch: AMD64 };
    const plain = recordedMemory(rec.regions);
    const expected = await readSnapshot({ ...ctx, mem: plain });

    // Only recorded bytes exist here, so nothing may be merged across a gap.
    const plan = new ReadPlan({ mergeGap: 0, maxRange: 1 << 30, maxTotal: 1 << 30 });
    const first = new PlannedMemory(plain);
    t.same(await readSnapshot({ ...ctx, mem: first }), expected, 'the first sample (no plan yet) reads the same');
    plan.learn(first);
    t.ok(plan.ranges.length > 0 && plan.ranges.length < first.accesses.length, `${first.accesses.length} reads planned as ${plan.ranges.length} ranges`);

    const raw = recordedMemory(rec.regions);
    const second = new PlannedMemory(raw);
    await second.prefetch(plan.ranges);
    t.same(await readSnapshot({ ...ctx, mem: second }), expected, 'the planned sample reads the same snapshot');
    t.equal(second.misses, 0, 'and needs nothing beyond the plan');
    t.equal(raw.reads, plan.ranges.length, 'one read per planned range');

    // A plan made for other memory (here: one range shifted into unrecorded bytes) costs
    // misses, never a different snapshot.
    const wrong = new PlannedMemory(recordedMemory(rec.regions));
    await wrong.prefetch(plan.ranges.map((x, i) => (i === 0 ? { start: x.start + 1n, end: x.end + 4096n } : x)));
    t.same(await readSnapshot({ ...ctx, mem: wrong }), expected, 'a wrong plan still reads the same snapshot');
    t.ok(wrong.misses > 0 && wrong.unreadable.length === 1, `a wrong plan costs misses (${wrong.misses})`);
  });
}
