// /proc readers the benchmark scripts share: CPU ticks, RSS, tracer, the process tree.
// Benchmarks only; the product has its own (bridge/access/proc/proc-status.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { now, sum } from './report.ts';

/** Least-squares slope of ys over xs. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = sum(xs) / n;
  const my = sum(ys) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export const CLK_TCK = 100; // Linux USER_HZ on every architecture the bridge supports

export interface ProcStat {
  ppid: number;
  comm: string;
  ticks: number; // utime + stime
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' '); // f[0] = state (field 3)
    return { ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

export function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

export function tracerPid(pid: number): number {
  try {
    return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every descendant of `pid` (the bridge's gdb, and whatever gdb runs). */
export function descendants(pid: number): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(Number(e));
    if (st) all.set(Number(e), st);
  }
  const out = new Map<number, ProcStat>();
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [p, st] of all) {
      if (frontier.includes(st.ppid) && !out.has(p)) {
        out.set(p, st);
        next.push(p);
      }
    }
    frontier = next;
  }
  return out;
}

/** CPU ticks of a process and (separately) of its descendants, at one instant. */
export interface CpuMark {
  t: number;
  self: number;
  kids: Map<number, number>;
}
export function cpuMark(pid: number): CpuMark {
  const kids = new Map<number, number>();
  for (const [p, st] of descendants(pid)) kids.set(p, st.ticks);
  return { t: now(), self: procStat(pid)?.ticks ?? NaN, kids };
}
/**
 * CPU % (100 % = one core) of the process and of its descendants between two marks. A child
 * that exited meanwhile (a restarted gdb) took its CPU time with it: `kidsLost` then says the
 * descendants' figure is a lower bound.
 */
export function cpuBetween(a: CpuMark, b: CpuMark): { self: number; kids: number; kidsLost?: boolean } {
  const secs = (b.t - a.t) / 1e9;
  let kids = 0;
  for (const [p, t] of b.kids) kids += t - (a.kids.get(p) ?? 0); // a child born meanwhile counts from 0
  const kidsLost = [...a.kids.keys()].some((p) => !b.kids.has(p));
  return { self: ((b.self - a.self) / CLK_TCK / secs) * 100, kids: (kids / CLK_TCK / secs) * 100, ...(kidsLost ? { kidsLost } : {}) };
}
