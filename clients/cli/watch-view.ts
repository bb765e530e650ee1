// The live view of `mstat --watch` and `npm run demo`: a reading and the one before it become
// text — a block of lines redrawn in place on a terminal, or one line per reading for a pipe
// or a log. Values in human units, changes since the previous reading. Pure (no I/O, no Node
// APIs); uint64s become numbers only for display (human-units.ts) and for rates.
import type { MemStats } from '../../protocol/memstats.ts';
import { formatDuration } from '../shared/duration.ts';
import { formatBytes, formatCount, formatDeltaBytes, formatDeltaCount, formatNs, formatPercent } from './human-units.ts';
import { recentPauses } from '../shared/memstats-format.ts';
import type { Reading } from '../shared/reading.ts';

export interface WatchTarget {
  pid: number;
  goVersion: string;
  exe: string;
}

export interface WatchViewOptions {
  /** Title lines; default: one line naming the target (when given). */
  header?: readonly string[];
  target?: WatchTarget;
  /** the sampling interval, shown in the status line */
  intervalMs?: number;
  /** a problem worth showing beside the numbers (a failed read, a gdb restart) */
  notice?: string | undefined;
}

/** How many recent GC pauses the view lists. */
export const WATCH_PAUSES = 3;

/** Per-second rates between two readings; undefined for the first or a zero interval. */
export function watchRates(cur: Reading, prev: Reading | undefined): { allocBytesPerSec: number; mallocsPerSec: number; freesPerSec: number } | undefined {
  if (!prev) return undefined;
  const ms = cur.time.getTime() - prev.time.getTime();
  if (ms <= 0) return undefined;
  // The differences are exact bigints; only the per-second quotient is a float.
  const per = (a: bigint, b: bigint): number => (Number(b - a) * 1000) / ms;
  return {
    allocBytesPerSec: per(prev.memstats.TotalAlloc, cur.memstats.TotalAlloc),
    mallocsPerSec: per(prev.memstats.Mallocs, cur.memstats.Mallocs),
    freesPerSec: per(prev.memstats.Frees, cur.memstats.Frees),
  };
}

/** Short flags for what is not exact in a reading ("Sys ±256 KiB", "torn"), plus the notice. */
function flags(r: Reading, compact: boolean, notice: string | undefined): string[] {
  const out: string[] = [];
  const est = Object.entries(r.estimated).map(([f, q]) => `${f} ±${formatBytes(q.bound, compact)}`);
  if (est.length > 0) out.push(compact ? `estimated=${est.join(',').replaceAll(' ', '')}` : `estimated: ${est.join(', ')}`);
  if (r.meta.torn.length > 0) out.push(compact ? `torn=${r.meta.attempts}` : `TORN after ${r.meta.attempts} attempts (${r.meta.torn.join('; ')})`);
  if (r.meta.dropped) out.push(compact ? `dropped=${r.meta.dropped}` : `${r.meta.dropped} samples dropped by the bridge`);
  if (notice) out.push(compact ? `notice=${JSON.stringify(notice)}` : notice);
  return out;
}

function lastPauses(m: MemStats, compact: boolean): string {
  const p = recentPauses(m.PauseNs, m.NumGC).slice(0, WATCH_PAUSES);
  return p.map((ns) => formatNs(ns, compact)).join(compact ? ',' : ', ');
}

const time = (d: Date): string => d.toISOString().slice(11, 23);

/** The terminal view: a title, a status line, then one row per quantity. No trailing newline. */
export function watchBlock(cur: Reading, prev: Reading | undefined, opts: WatchViewOptions = {}): string[] {
  const m = cur.memstats;
  const p = prev?.memstats;
  const rates = watchRates(cur, prev);
  const dB = (f: 'HeapInuse' | 'HeapIdle' | 'HeapReleased' | 'HeapSys' | 'HeapAlloc' | 'StackInuse' | 'Sys'): string => (p ? formatDeltaBytes(m[f] - p[f]) : '');
  const perSec = (v: number | undefined, fmt: (x: number) => string): string => (v === undefined ? '–' : `${fmt(v)}/s`);
  const rows: Array<[string, string, string, string]> = [
    ['heap in use', formatBytes(m.HeapInuse), dB('HeapInuse'), ''],
    ['heap idle', formatBytes(m.HeapIdle), dB('HeapIdle'), ''],
    ['heap released', formatBytes(m.HeapReleased), dB('HeapReleased'), ''],
    ['heap sys', formatBytes(m.HeapSys), dB('HeapSys'), ''],
    ['HeapAlloc', formatBytes(m.HeapAlloc), dB('HeapAlloc'), `${formatPercent(m.HeapAlloc, m.NextGC)} of NextGC ${formatBytes(m.NextGC)}`],
    ['objects', formatCount(m.HeapObjects), p ? formatDeltaCount(m.HeapObjects - p.HeapObjects) : '', ''],
    ['stacks', formatBytes(m.StackInuse), dB('StackInuse'), `of StackSys ${formatBytes(m.StackSys)}`],
    ['sys', formatBytes(m.Sys), dB('Sys'), `GCSys ${formatBytes(m.GCSys)}, OtherSys ${formatBytes(m.OtherSys)}`],
    ['alloc rate', perSec(rates?.allocBytesPerSec, (x) => formatBytes(Math.round(x))), '', `total ${formatBytes(m.TotalAlloc)}`],
    ['mallocs', perSec(rates?.mallocsPerSec, (x) => formatCount(Math.round(x))), '', `frees ${perSec(rates?.freesPerSec, (x) => formatCount(Math.round(x)))}`],
    [
      'GC',
      String(m.NumGC),
      p ? formatDeltaCount(m.NumGC - p.NumGC) : '',
      m.NumGC === 0 ? 'no GC yet' : `last pauses ${lastPauses(m, false)}; total ${formatNs(m.PauseTotalNs)}; CPU ${(m.GCCPUFraction * 100).toFixed(2)}%`,
    ],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), i === 1 ? 'now'.length : i === 2 ? 'change'.length : 0));
  const row = (a: string, b: string, c: string, d: string): string => `  ${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padStart(w[2]!)}${d ? `   ${d}` : ''}`.trimEnd();

  const title = opts.header ?? (opts.target ? [`pid ${opts.target.pid} · ${opts.target.goVersion} · ${opts.target.exe}`] : []);
  const status = [
    cur.meta.mode + (opts.intervalMs === undefined ? '' : `, every ${formatDuration(opts.intervalMs)}`),
    time(cur.time),
    `read ${formatNs(cur.meta.readNs)} (${cur.meta.reads} reads)`,
    ...(cur.meta.mode === 'consistent' ? [`paused ${formatNs(cur.meta.pauseNs)}`] : []),
  ].join(' · ');
  const notes = flags(cur, false, opts.notice);
  return [...title, status, '', row('', 'now', 'change', ''), ...rows.map((r) => row(...r)), ...(notes.length > 0 ? ['', ...notes.map((n) => `  ${n}`)] : [])];
}

/** One line per reading (a pipe, a log): key=value tokens, changes in parentheses. */
export function watchLine(cur: Reading, prev: Reading | undefined, opts: Pick<WatchViewOptions, 'notice'> = {}): string {
  const m = cur.memstats;
  const p = prev?.memstats;
  const rates = watchRates(cur, prev);
  const b = (f: 'HeapInuse' | 'HeapIdle' | 'HeapReleased' | 'HeapSys' | 'HeapAlloc' | 'StackInuse' | 'Sys'): string =>
    formatBytes(m[f], true) + (p ? `(${formatDeltaBytes(m[f] - p[f], true)})` : '');
  const perSec = (v: number | undefined, fmt: (x: number) => string): string => (v === undefined ? '–' : `${fmt(Math.round(v))}/s`);
  const tokens = [
    cur.time.toISOString(),
    `inuse=${b('HeapInuse')}`,
    `idle=${b('HeapIdle')}`,
    `released=${b('HeapReleased')}`,
    `heapsys=${b('HeapSys')}`,
    `heapalloc=${b('HeapAlloc')}`,
    `nextgc=${formatBytes(m.NextGC, true)}(${formatPercent(m.HeapAlloc, m.NextGC)})`,
    `alloc=${perSec(rates?.allocBytesPerSec, (x) => formatBytes(x, true))}`,
    `mallocs=${perSec(rates?.mallocsPerSec, formatCount)}`,
    `gc=${m.NumGC}${p ? `(${formatDeltaCount(m.NumGC - p.NumGC)})` : ''}`,
    `pauses=${m.NumGC === 0 ? '–' : lastPauses(m, true)}`,
    `objects=${formatCount(m.HeapObjects)}${p ? `(${formatDeltaCount(m.HeapObjects - p.HeapObjects)})` : ''}`,
    `stacks=${b('StackInuse')}`,
    `sys=${b('Sys')}`,
    ...flags(cur, true, opts.notice),
  ];
  return tokens.join(' ');
}

const CSI = '\x1b[';
/** Shown again when the view ends (the frames hide it while redrawing). */
export const SHOW_CURSOR = `${CSI}?25h`;

/**
 * Redraws a block in place on a terminal: the cursor goes back up over the previous frame,
 * every line is rewritten and cleared to its end, and whatever is left below is cleared, so
 * nothing flickers and the scrollback above is kept. Lines are cut to the terminal width:
 * a wrapped line would make the next frame start too low.
 */
export class LiveFrame {
  private height = 0;

  frame(lines: readonly string[], columns?: number): string {
    const cut = (l: string): string => (columns !== undefined && columns > 0 && [...l].length > columns ? [...l].slice(0, columns - 1).join('') + '…' : l);
    const up = this.height > 0 ? `\r${CSI}${this.height}A` : `${CSI}?25l`;
    this.height = lines.length;
    return up + lines.map((l) => `${cut(l)}${CSI}K\n`).join('') + `${CSI}J`;
  }

  /** What to write when the view ends: the cursor back. */
  end(): string {
    return SHOW_CURSOR;
  }
}
