// The read planner. A sample follows pointers (globals → allp → Ps → mcaches → spans, stack
// chains, the caller chain), so read naively it costs a few dependent MI commands per P. The
// plan is the set of address ranges the previous sample of this target touched, coalesced
// into few large ranges; the next sample reads them all in one pipelined round first, and the
// pointer walk then runs on those bytes. Only what moved since (a new span, a longer allp)
// costs more commands, and it becomes part of the next plan.
//
// Exactness does not depend on the plan: it only chooses what to read up front. Every byte a
// sample decodes was read during that sample (in consistent mode, inside its stop window), and
// a range the plan guessed wrong is just bytes nobody looks at.

import type { Memory } from './memory.ts';

export interface Range {
  start: bigint;
  /** exclusive */
  end: bigint;
}

export interface PlanCosts {
  /** Two ranges closer than this are read as one (gap bytes cost less than a command). */
  mergeGap: number;
  /** No single read larger than this. */
  maxRange: number;
  /** A plan larger than this in all is not kept (a wild pointer must not make gdb read GiBs). */
  maxTotal: number;
}

/** gdb reading a local process or a core: one MI command (≈ 150 µs) costs about what 64 KiB of dump does. */
export const LOCAL_COSTS: PlanCosts = { mergeGap: 64 * 1024, maxRange: 4 << 20, maxTotal: 32 << 20 };
/** Over gdbserver every ~8 KiB is another packet round trip: merge far less. */
export const REMOTE_COSTS: PlanCosts = { mergeGap: 2 * 1024, maxRange: 1 << 20, maxTotal: 16 << 20 };
/** Without the dump path every byte goes through hex (≈ 45 ns a byte): merge little. */
export const HEX_COSTS: PlanCosts = { mergeGap: 2 * 1024, maxRange: 256 * 1024, maxTotal: 16 << 20 };

/** How many ranges that could not be read as a whole are remembered (not merged across again). */
const MAX_UNREADABLE = 64;

const cmp = (a: Range, b: Range): number => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/**
 * Coalesces ranges: sorted, overlapping and touching ones joined, and ones within `mergeGap`
 * of each other joined unless the gap lies in a range known not to be readable as a whole.
 * Pure.
 */
export function coalesce(ranges: readonly Range[], costs: PlanCosts, unreadable: readonly Range[] = []): Range[] {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort(cmp);
  const out: Range[] = [];
  const gap = BigInt(costs.mergeGap);
  const max = BigInt(costs.maxRange);
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
      continue;
    }
    if (last && r.start - last.end <= gap && r.end - last.start <= max && !unreadable.some((u) => u.start <= last.end && u.end >= r.start)) {
      last.end = r.end;
      continue;
    }
    out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** What one target's samples read; learned from each sample for the next. */
export class ReadPlan {
  private planned: Range[] = [];
  private readonly unreadable: Range[] = [];
  constructor(readonly costs: PlanCosts) {}

  get ranges(): readonly Range[] {
    return this.planned;
  }

  get bytes(): number {
    return this.planned.reduce((s, r) => s + Number(r.end - r.start), 0);
  }

  /** The next sample's plan: what this one read, coalesced. */
  learn(mem: PlannedMemory): void {
    for (const u of mem.unreadable) {
      this.unreadable.push(u);
      if (this.unreadable.length > MAX_UNREADABLE) this.unreadable.shift();
    }
    const next = coalesce(mem.accesses, this.costs, this.unreadable);
    const total = next.reduce((s, r) => s + Number(r.end - r.start), 0);
    this.planned = total <= this.costs.maxTotal ? next : [];
  }

  /** Forget everything (a new program after an exec, a new layout). */
  reset(): void {
    this.planned = [];
    this.unreadable.length = 0;
  }
}

/**
 * A sample's view of memory: the plan's ranges read up front, every other read passed to
 * the underlying Memory (a miss). Records every read for the next plan.
 */
export class PlannedMemory implements Memory {
  /** every read asked of this memory, as ranges */
  readonly accesses: Range[] = [];
  /** planned ranges that failed to read as a whole */
  readonly unreadable: Range[] = [];
  /** reads not covered by the plan */
  misses = 0;
  /** held bytes, sorted by start, not overlapping */
  private held: Array<{ start: bigint; end: bigint; bytes: Buffer }> = [];

  constructor(private readonly raw: Memory) {}

  /**
   * Reads every planned range in one round (the MI client sends them in one write). A range
   * that fails (a guess across an unmapped hole, a freed object) is left out: reads in it
   * then miss and go to gdb on their own.
   */
  async prefetch(ranges: readonly Range[]): Promise<void> {
    const got = await Promise.all(
      ranges.map(async (r) => {
        try {
          return { ...r, bytes: await this.raw.read(r.start, Number(r.end - r.start)) };
        } catch {
          this.unreadable.push(r);
          return undefined;
        }
      }),
    );
    this.held = got.filter((g): g is NonNullable<typeof g> => g !== undefined).sort(cmp);
  }

  async read(addr: bigint, size: number): Promise<Buffer> {
    const end = addr + BigInt(size);
    this.accesses.push({ start: addr, end });
    const h = this.find(addr);
    if (h && end <= h.end) {
      const o = Number(addr - h.start);
      return h.bytes.subarray(o, o + size);
    }
    this.misses++;
    return this.raw.read(addr, size);
  }

  /** The held range that starts at or before addr and contains it (binary search). */
  private find(addr: bigint): { start: bigint; end: bigint; bytes: Buffer } | undefined {
    let lo = 0;
    let hi = this.held.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const h = this.held[mid]!;
      if (addr < h.start) hi = mid - 1;
      else if (addr >= h.end) lo = mid + 1;
      else return h;
    }
    return undefined;
  }
}
