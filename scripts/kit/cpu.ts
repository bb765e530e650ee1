// CPU use of a process and of what runs below it (a bridge and its gdbs), from /proc ticks.
import { descendants } from './process-tree.ts';
import { procStat } from './proc.ts';
import { now } from './time.ts';

export const CLK_TCK = 100; // Linux USER_HZ on every architecture the bridge supports

/** CPU ticks of a process and (separately) of its descendants, at one instant. */
export interface CpuMark {
  t: number;
  self: number;
  kids: Map<number, number>;
}

export function cpuMark(pid: number): CpuMark {
  const kids = new Map<number, number>();
  for (const d of descendants(pid)) kids.set(d.pid, d.ticks);
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
