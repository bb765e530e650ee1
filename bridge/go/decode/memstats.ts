// One decoded sample: flush simulation, formulas, per-caller-P ambiguity, torn checks.
import type { FieldQuality, MemStats, MemStatsU64Field } from '../../../protocol/memstats.ts';
import { MEMSTATS_U64_FIELDS } from '../../../protocol/memstats.ts';
import type { RuntimeStats } from '../../../protocol/process-stats.ts';
import type { ArchConstants } from './arch.ts';
import { tornReasons } from './consistency.ts';
import type { DecoderLayout } from '../layout/decoder-layout.ts';
import { computeMemStats, type Derived } from './fields.ts';
import { simulateFlush, type FlushEffect } from './flush.ts';
import type { HeadroomRule } from './heap-goal.ts';
import { runtimeStatsOf } from './runtime-stats.ts';
import type { Snapshot } from './snapshot.ts';

export interface DecodedSample {
  memstats: MemStats;
  /** Fields that are not exact, with their bound. Absent = exact. */
  estimated: Partial<Record<MemStatsU64Field, FieldQuality & { kind: 'estimated' }>>;
  /** Why the snapshot looks torn; empty when consistent. */
  torn: string[];
  flush: Pick<FlushEffect, 'spansFreed' | 'stackBytesFreed' | 'totalAllocAdd'> & { tinyAllocs: bigint; cachedSpans: number };
  /** The P indices the caller-dependent fields were computed for; undefined = all Ps (not derived). */
  callerPs?: number[] | undefined;
  /** Fields on which the Ps disagree that the caller P settled (they would be estimated otherwise). */
  decidedByCallerP: MemStatsU64Field[];
  /** the Go collector's other values at the same instant (goroutines, threads, GOGC, …) */
  runtime: RuntimeStats;
}

/** The variant most Ps agree on (all fields). */
function majority(variants: Derived[]): Derived {
  const key = (v: Derived): string => MEMSTATS_U64_FIELDS.map((f) => v.memstats[f].toString()).join(',');
  const counts = new Map<string, { n: number; v: Derived }>();
  for (const v of variants) {
    const k = key(v);
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { n: 1, v });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]!.v;
}

/** Fields on which the variants differ from `chosen`, with the largest difference. */
function spread(variants: Derived[], chosen: Derived): Map<MemStatsU64Field, bigint> {
  const out = new Map<MemStatsU64Field, bigint>();
  for (const f of MEMSTATS_U64_FIELDS) {
    let bound = 0n;
    for (const v of variants) {
      const diff = v.memstats[f] - chosen.memstats[f];
      const abs = diff < 0n ? -diff : diff;
      if (abs > bound) bound = abs;
    }
    if (bound > 0n) out.set(f, bound);
  }
  return out;
}

const REASONS: Partial<Record<MemStatsU64Field, string>> = {
  MSpanInuse: 'depends on which P runs ReadMemStats: freed stack spans go to its mspancache while it has room',
  GCSys: 'depends on which P runs ReadMemStats: its persistentalloc chunk may need a fresh 256 KiB',
  OtherSys: 'depends on which P runs ReadMemStats: its persistentalloc chunk may need a fresh 256 KiB',
  Sys: 'depends on which P runs ReadMemStats: its persistentalloc chunk may need a fresh 256 KiB',
  NextGC: 'memory-limit goal depends on which P runs ReadMemStats (persistentalloc chunk)',
};

export function decodeSnapshot(snap: Snapshot, L: DecoderLayout, arch: ArchConstants, rule: HeadroomRule): DecodedSample {
  const fx = simulateFlush(snap, L, arch);
  // Which P runs ReadMemStats decides a few fields. When the target was stopped and some
  // goroutine is on an M, that goroutine's P is the caller (the spec's "stopped goroutine's
  // P"); otherwise every P is a candidate.
  const all = fx.perP.map((p) => ({ p: p.p, v: computeMemStats(snap, fx, p, L.classSizes, rule) }));
  const callers = (snap.callerPs ?? []).filter((i) => all.some((x) => x.p === i));
  const variants: Derived[] = (callers.length > 0 ? all.filter((x) => callers.includes(x.p)) : all).map((x) => x.v);
  // Report the value most candidate Ps agree on; a field on which they differ is estimated.
  const chosen = majority(variants);
  const estimated: DecodedSample['estimated'] = {};
  for (const [f, bound] of spread(variants, chosen)) estimated[f] = { kind: 'estimated', bound, reason: REASONS[f] ?? 'depends on which P runs ReadMemStats' };
  const decidedByCallerP = callers.length > 0 ? [...spread(all.map((x) => x.v), chosen).keys()].filter((f) => !estimated[f]) : [];
  if (!fx.metadataKnown) {
    // Without the block pool we cannot tell whether new spanSet blocks are persistentalloc'd.
    const bound = BigInt(L.spanSetBlockSize) * BigInt(fx.perP.length > 0 ? 1 : 0) * 64n;
    for (const f of ['GCSys', 'OtherSys'] as const) estimated[f] ??= { kind: 'estimated', bound, reason: 'spanSet block pool not readable on this architecture' };
  }
  const torn = tornReasons(snap, fx, chosen, L);
  return {
    memstats: chosen.memstats,
    estimated,
    torn,
    callerPs: callers.length > 0 ? callers : undefined,
    decidedByCallerP,
    runtime: runtimeStatsOf(snap),
    flush: {
      spansFreed: fx.spansFreed,
      stackBytesFreed: fx.stackBytesFreed,
      totalAllocAdd: fx.totalAllocAdd,
      tinyAllocs: snap.ps.reduce((a, p) => a + (p.mcache?.tinyAllocs ?? 0n), 0n),
      cachedSpans: snap.ps.reduce((a, p) => a + (p.mcache?.spans.length ?? 0), 0),
    },
  };
}
