// Protocol → view models: what the dashboard shows, as plain strings and chart numbers.
// No DOM here (view.ts renders), so the root tsconfig can check it and tests can import it.
// uint64 stay bigint for every exact number shown; Number() only for chart points.
import { MEMSTATS_FIELDS, PAUSE_RING, type MemStats, type MemStatsField } from '../../protocol/memstats.ts';
import type { SampleMessage, SampleMeta } from '../../protocol/server-messages.ts';
import type { TargetInfo, TargetListing } from '../../protocol/target.ts';
import { formatGoFloat } from '../shared/memstats-format.ts';
import { epochNs, groupDigits, humanBytes, humanNs } from './format.ts';

/** One row of the current-MemStats table. */
export interface FieldRow {
  name: string;
  /** exact value as shown (digits grouped) */
  value: string;
  /** exact value, plain (decimal digits for uint64), for copy and tests */
  raw: string;
  unit: string;
  human: string;
  /** '' when exact; otherwise why and how far off it may be */
  note: string;
  estimated: boolean;
}

export interface BySizeRow {
  index: number;
  size: string;
  mallocs: string;
  frees: string;
  live: string;
  liveBytes: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface TargetOption {
  pid: number;
  label: string;
  disabled: boolean;
  title: string;
}

export type Unit = 'bytes' | 'bytes/s' | 'per-s' | 'ns';

export interface SeriesModel {
  label: string;
  unit: Unit;
  /** on the right-hand axis */
  right?: boolean;
  /** dots instead of a line (discrete events) */
  points?: boolean;
}

export type TimeChartId = 'heap' | 'goal' | 'alloc' | 'gcfreq' | 'stacks';
export type ChartId = TimeChartId | 'pauses';

export interface ChartModel {
  id: ChartId;
  title: string;
  series: SeriesModel[];
}

/** What each chart plots; the series order is the order of samplePoints' values. */
export const CHARTS: readonly ChartModel[] = [
  {
    id: 'heap',
    title: 'Heap',
    series: ['HeapAlloc', 'HeapInuse', 'HeapIdle', 'HeapReleased', 'HeapSys', 'Sys'].map((label) => ({ label, unit: 'bytes' as const })),
  },
  { id: 'goal', title: 'HeapAlloc vs NextGC (heap goal)', series: [{ label: 'HeapAlloc', unit: 'bytes' }, { label: 'NextGC', unit: 'bytes' }] },
  {
    id: 'alloc',
    title: 'Allocation rate',
    series: [
      { label: 'alloc bytes/s', unit: 'bytes/s' },
      { label: 'mallocs/s', unit: 'per-s', right: true },
      { label: 'frees/s', unit: 'per-s', right: true },
    ],
  },
  { id: 'pauses', title: 'GC pauses (PauseNs at PauseEnd)', series: [{ label: 'pause', unit: 'ns', points: true }] },
  { id: 'gcfreq', title: 'GC frequency', series: [{ label: 'GC/s', unit: 'per-s' }] },
  { id: 'stacks', title: 'Goroutine stacks', series: [{ label: 'StackInuse', unit: 'bytes' }, { label: 'StackSys', unit: 'bytes' }] },
];

/** NextGC at or above this is "no goal" (GOGC=off without a memory limit: ≈ 2^63). */
const NO_GOAL = 1n << 62n;

/** Sample time in seconds (uPlot's time unit). */
export function sampleTime(s: SampleMessage): number {
  return Date.parse(s.time) / 1000;
}

/** The chart points of one sample, per time chart, in CHARTS' series order. */
export function samplePoints(s: SampleMessage): Record<TimeChartId, Array<number | null>> {
  const m = s.memstats;
  const n = (v: bigint): number => Number(v);
  const r = s.rates;
  return {
    heap: [n(m.HeapAlloc), n(m.HeapInuse), n(m.HeapIdle), n(m.HeapReleased), n(m.HeapSys), n(m.Sys)],
    goal: [n(m.HeapAlloc), m.NextGC >= NO_GOAL ? null : n(m.NextGC)],
    // The first sample of a subscription has no rates (nothing to compare with).
    alloc: [r?.allocBytesPerSec ?? null, r?.mallocsPerSec ?? null, r?.freesPerSec ?? null],
    gcfreq: [r?.gcPerSec ?? null],
    stacks: [n(m.StackInuse), n(m.StackSys)],
  };
}

export interface PausePoint {
  /** PauseEnd in seconds since the epoch */
  t: number;
  ns: number;
  gc: number;
}

/**
 * GC pauses new since `prevNumGC` (all the ring still holds when undefined), oldest first.
 * GC number k (1-based) sits at ring index (k-1) % 256, like runtime.MemStats documents.
 */
export function newPauses(m: MemStats, prevNumGC: number | undefined): PausePoint[] {
  const out: PausePoint[] = [];
  const oldest = Math.max(prevNumGC ?? 0, m.NumGC - PAUSE_RING);
  for (let gc = oldest + 1; gc <= m.NumGC; gc++) {
    const i = (gc - 1) % PAUSE_RING;
    const end = m.PauseEnd[i];
    const ns = m.PauseNs[i];
    if (end === undefined || ns === undefined || end === 0n) continue;
    out.push({ t: Number(end / 1000n) / 1e6, ns: Number(ns), gc });
  }
  return out;
}

type U64Field = Exclude<MemStatsField, 'PauseNs' | 'PauseEnd' | 'NumGC' | 'NumForcedGC' | 'GCCPUFraction' | 'EnableGC' | 'DebugGC' | 'BySize'>;

/** Unit of each uint64 field (Go's doc comments). */
const U64_UNITS: Record<U64Field, 'bytes' | 'count' | 'objects' | 'ns' | 'epoch-ns'> = {
  Alloc: 'bytes', TotalAlloc: 'bytes', Sys: 'bytes', Lookups: 'count', Mallocs: 'count', Frees: 'count',
  HeapAlloc: 'bytes', HeapSys: 'bytes', HeapIdle: 'bytes', HeapInuse: 'bytes', HeapReleased: 'bytes', HeapObjects: 'objects',
  StackInuse: 'bytes', StackSys: 'bytes', MSpanInuse: 'bytes', MSpanSys: 'bytes', MCacheInuse: 'bytes', MCacheSys: 'bytes',
  BuckHashSys: 'bytes', GCSys: 'bytes', OtherSys: 'bytes', NextGC: 'bytes', LastGC: 'epoch-ns', PauseTotalNs: 'ns',
};

const CUMULATIVE = new Set<string>(['TotalAlloc', 'Mallocs', 'Frees', 'PauseTotalNs', 'Lookups']);

function u64Row(name: U64Field, v: bigint): Omit<FieldRow, 'note' | 'estimated'> {
  const unit = U64_UNITS[name];
  const human = unit === 'bytes' ? humanBytes(v) : unit === 'ns' ? humanNs(v) : unit === 'epoch-ns' ? epochNs(v) : '';
  const shownUnit = unit === 'epoch-ns' ? 'ns since epoch' : CUMULATIVE.has(name) ? `${unit}, cumulative` : unit;
  return { name, value: groupDigits(v), raw: v.toString(), unit: shownUnit, human };
}

/** The most recent entry of a PauseNs/PauseEnd ring (undefined before the first GC). */
function latest(ring: readonly bigint[], numGC: number): bigint | undefined {
  return numGC === 0 ? undefined : ring[(numGC - 1) % PAUSE_RING];
}

/** Every MemStats field, in Go's order, with its unit and quality. */
export function fieldRows(m: MemStats, meta: SampleMeta): FieldRow[] {
  return MEMSTATS_FIELDS.map((name): FieldRow => {
    const q = meta.estimated[name];
    const note = q?.kind === 'estimated' ? `estimated ±${humanBytes(q.bound)} (${groupDigits(q.bound)} B): ${q.reason}` : '';
    const quality = { note, estimated: q?.kind === 'estimated' };
    switch (name) {
      case 'PauseNs': {
        const v = latest(m.PauseNs, m.NumGC);
        const recent = [1, 2, 3, 4].map((k) => (m.NumGC > k ? m.PauseNs[(m.NumGC - 1 - k) % PAUSE_RING] : undefined)).filter((x) => x !== undefined);
        return {
          name, value: v === undefined ? '–' : groupDigits(v), raw: v?.toString() ?? '', unit: 'ns (latest GC)',
          human: v === undefined ? 'no GC yet' : `${humanNs(v)}${recent.length ? `; before: ${recent.map(humanNs).join(', ')}` : ''}`, ...quality,
        };
      }
      case 'PauseEnd': {
        const v = latest(m.PauseEnd, m.NumGC);
        return { name, value: v === undefined ? '–' : groupDigits(v), raw: v?.toString() ?? '', unit: 'ns since epoch (latest GC)', human: v === undefined ? 'no GC yet' : epochNs(v), ...quality };
      }
      case 'NumGC':
      case 'NumForcedGC':
        return { name, value: groupDigits(BigInt(m[name])), raw: String(m[name]), unit: 'count', human: '', ...quality };
      case 'GCCPUFraction':
        return { name, value: formatGoFloat(m.GCCPUFraction), raw: formatGoFloat(m.GCCPUFraction), unit: 'fraction of CPU', human: `${(m.GCCPUFraction * 100).toFixed(4)} %`, ...quality };
      case 'EnableGC':
      case 'DebugGC':
        return { name, value: String(m[name]), raw: String(m[name]), unit: 'bool', human: '', ...quality };
      case 'BySize':
        return { name, value: `${m.BySize.length} size classes`, raw: '', unit: '', human: 'see the table below', ...quality };
      default: {
        const row = u64Row(name, m[name]);
        const goalNote = name === 'NextGC' && m.NextGC >= NO_GOAL ? 'no finite heap goal (GOGC=off without a memory limit)' : '';
        return { ...row, ...quality, note: [quality.note, goalNote].filter(Boolean).join('; ') };
      }
    }
  });
}

/** BySize as a table: size class, mallocs, frees, live objects and their bytes. */
export function bySizeRows(m: MemStats): BySizeRow[] {
  return m.BySize.map((e, index) => {
    const live = e.Mallocs >= e.Frees ? e.Mallocs - e.Frees : 0n;
    return {
      index,
      size: groupDigits(BigInt(e.Size)),
      mallocs: groupDigits(e.Mallocs),
      frees: groupDigits(e.Frees),
      live: groupDigits(live),
      liveBytes: humanBytes(live * BigInt(e.Size)),
    };
  });
}

/** Sampling mode and cost, and how far the sample can be trusted. */
export function metaRows(s: SampleMessage, droppedLocally: number): KeyValue[] {
  const meta = s.meta;
  const estimated = Object.entries(meta.estimated).flatMap(([f, q]) => (q.kind === 'estimated' ? [`${f} ±${humanBytes(q.bound)}`] : []));
  const quality = meta.exact ? 'exact (every field equals ReadMemStats at this instant)' : [estimated.length ? `estimated: ${estimated.join(', ')}` : '', meta.torn.length ? `torn: ${meta.torn.join('; ')}` : ''].filter(Boolean).join(' — ');
  return [
    { key: 'mode', value: meta.mode === 'live' ? 'live (target never stopped)' : 'consistent (threads stopped for the read)' },
    { key: 'quality', value: quality },
    { key: 'read time (meta.readNs)', value: humanNs(meta.readNs) },
    { key: 'target pause (meta.pauseNs)', value: humanNs(meta.pauseNs) },
    { key: 'attempts', value: String(meta.attempts) },
    { key: 'memory reads', value: `${meta.reads} (${groupDigits(BigInt(meta.bytes))} bytes)` },
    { key: 'dropped', value: `${meta.dropped} by the bridge, ${droppedLocally} in this page` },
    { key: 'sample', value: `#${s.seq} at ${s.time}` },
    { key: 'rate interval', value: s.rates ? `${s.rates.intervalMs.toFixed(0)} ms` : '– (first sample)' },
  ];
}

export function targetTitle(t: TargetInfo): string {
  return `pid ${t.pid} · ${t.exe} · ${t.goVersion}`;
}

/** list-targets entries as picker options; a PID from the URL that is not listed is kept. */
export function targetOptions(list: readonly TargetListing[], extraPid?: number): TargetOption[] {
  const out = list.map((t) => ({
    pid: t.pid,
    label: `${t.pid} · ${t.exe.split('/').pop() ?? t.exe}${t.goVersion ? ` · ${t.goVersion}` : ''}${t.attached ? ' · attached' : ''}${t.attachable ? '' : ` · not attachable: ${t.reason ?? 'unknown'}`}`,
    disabled: !t.attachable,
    title: t.exe,
  }));
  if (extraPid !== undefined && !list.some((t) => t.pid === extraPid)) out.push({ pid: extraPid, label: `${extraPid} (not listed)`, disabled: false, title: '' });
  return out.sort((a, b) => a.pid - b.pid);
}
