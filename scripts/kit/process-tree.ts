// Processes of this host by relation, for tests and benches: what runs below a process (a
// bridge's gdbs, an sshd's sessions), which gdbs there are, who shares a PID namespace.
import { readdirSync, readlinkSync } from 'node:fs';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { procStat, type ProcStat } from './proc.ts';

/** Every process now, with its /proc/PID/stat. */
function allProcesses(): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d)); // undefined: raced with its exit
    if (st) all.set(Number(d), st);
  }
  return all;
}

/** Every process below `root` (children, grandchildren, …), not `root` itself. */
export function descendants(root: number): Array<{ pid: number } & ProcStat> {
  const all = allProcesses();
  const out: Array<{ pid: number } & ProcStat> = [];
  const seen = new Set([root]);
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, st] of all) {
      if (!seen.has(pid) && frontier.includes(st.ppid)) {
        seen.add(pid);
        out.push({ pid, ...st });
        next.push(pid);
      }
    }
    frontier = next;
  }
  return out;
}

/** PIDs of gdb processes whose parent is `ppid` (or any gdb if ppid is undefined). */
export function gdbProcesses(ppid?: number): number[] {
  return [...allProcesses()].filter(([, st]) => st.comm === 'gdb' && (ppid === undefined || st.ppid === ppid)).map(([pid]) => pid);
}

/** The PID namespace of `pid` (its /proc ns link, e.g. `pid:[4026532301]`). */
export function pidNamespaceOf(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}

/** Every process (host pid, state letter) in the PID namespace `ns`. */
export function pidNamespaceMembers(ns: string): Array<{ pid: number; state: string }> {
  const out: Array<{ pid: number; state: string }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/pid`) !== ns) continue;
      out.push({ pid: Number(d), state: readProcStatus(Number(d))?.state ?? '?' });
    } catch {
      /* raced with exit */
    }
  }
  return out;
}
