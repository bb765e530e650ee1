// The cells of bench-bridge's tables: sizes, numbers, CPU %, gaps, and a row of the load table.
import { bytes, maxOf, median, minOf, ms, p95, quantile, ratio } from '../report.ts';
import type { LoadResult } from './load.ts';
import type { TargetWindow } from './target-window.ts';

export const kib = (k: number): string => bytes(k * 1024);
export function num(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 10_000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}
export const pct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} %` : '–');

export const kidsPct = (c: { kids: number; kidsLost?: boolean }): string => (c.kidsLost ? `≥ ${pct(c.kids)} (gdb restarted)` : pct(c.kids));

export function gapCell(w: TargetWindow | undefined): string {
  if (!w || w.gaps.length === 0) return '–';
  return `${ms(median(w.gaps))} / ${ms(p95(w.gaps))} / ${ms(maxOf(w.gaps))}`;
}

export function loadRow(r: LoadResult, base: LoadResult | undefined, intervalMs: number): string[] {
  const rep = r.report;
  const perSub = rep ? rep.perSub.map((n) => n / (rep.windowMs / 1000)) : [];
  const secs = rep ? rep.windowMs / 1000 : NaN;
  const bRep = base?.report;
  return [
    `${r.label}${r.failure ? ` ⚠ ${r.failure}` : ''}`,
    r.ready ? `${r.ready.subscribed}/${r.conns}` : '–',
    pct(r.cpu.self),
    base ? ratio(r.cpu.self, base.cpu.self) : '–',
    `${kib(median(r.rss))} / ${kib(maxOf(r.rss))}`,
    base ? ratio(maxOf(r.rss), maxOf(base.rss)) : '–',
    kidsPct(r.cpu),
    pct(r.clientCpu),
    rep ? `${num(median(perSub), 2)} / ${num(quantile(perSub, 0.05), 2)} / ${num(minOf(perSub), 2)}` : '–',
    rep ? `${num(rep.frames / secs)} (of ${num((r.conns * 1000) / intervalMs, 0)})` : '–',
    rep ? num(rep.reads / secs) : '–',
    rep && bRep ? ratio(rep.reads / secs, bRep.reads / (bRep.windowMs / 1000)) : '–',
    rep ? `${rep.latencyMedianMs.toFixed(0)} / ${rep.latencyP95Ms.toFixed(0)} / ${rep.latencyMaxMs.toFixed(0)} ms` : '–',
    rep ? `${rep.dropped} / ${rep.seqGaps}` : '–',
    rep ? `${bytes(rep.bytes / secs)}/s` : '–',
  ];
}
