// What /proc says about one process of this host, for tests and benches: alive, stopped,
// traced, its threads, its CPU ticks and RSS. The status text goes through the product's own
// parser (bridge/access/proc/proc-status.ts); nothing here is used by the product.
import { readdirSync, readFileSync } from 'node:fs';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep } from './time.ts';

export function isAlive(pid: number): boolean {
  const s = readProcStatus(pid);
  return s !== undefined && s.state !== 'Z';
}

/** Who traces `pid` (0: nobody, or the process is gone). */
export function tracerPid(pid: number): number {
  return readProcStatus(pid)?.tracerPid ?? 0;
}

/** Resident set size in KiB; NaN when the process is gone. */
export function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

export interface ProcStat {
  ppid: number;
  comm: string;
  /** R, S, T, t, Z, … */
  state: string;
  /** utime + stime, in clock ticks */
  ticks: number;
}

/** /proc/PID/stat, or undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' '); // f[0] = state (field 3)
    return { ppid: Number(f[1]), comm, state: f[0]!, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** tid → state letter for every thread. */
export function threadStateMap(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = readProcStatus(Number(tid));
      if (s) out.set(Number(tid), s.state);
    }
  } catch {
    /* gone */
  }
  return out;
}

/** Every thread's state letter, e.g. ['S','S','t']. */
export function threadStates(pid: number): string[] {
  return [...threadStateMap(pid).values()];
}

/**
 * No thread of `pid` is traced or stopped. gdb detaches threads one by one and the main
 * thread's TracerPid can read 0 while others are still in ptrace stop, so that alone does
 * not mean the target runs again. False when the process is gone.
 */
export function fullyDetached(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tids.every((tid) => {
    const s = readProcStatus(Number(tid));
    return s === undefined || (s.tracerPid === 0 && s.state !== 't' && s.state !== 'T');
  });
}

/**
 * Threads seen stopped (t/T) in `samples` looks and still stopped `recheckMs` later without
 * having run in between: a stop that lasts. Brief ptrace stops (a signal passing through gdb,
 * a new thread) are normal, and a thread that was resumed and stopped again by the next
 * signal (a loaded machine makes that look like one long stop) has switched in between: its
 * context-switch count moved.
 */
export async function lingeringStops(pid: number, samples = 10, recheckMs = 150): Promise<number[]> {
  const out = new Set<number>();
  for (let i = 0; i < samples; i++) {
    const stopped = [...threadStateMap(pid)].filter(([, s]) => s === 't' || s === 'T').map(([tid]) => [tid, contextSwitches(pid, tid)] as const);
    if (stopped.length > 0) {
      await sleep(recheckMs);
      const now = threadStateMap(pid);
      for (const [tid, switches] of stopped) {
        const state = now.get(tid);
        if ((state === 't' || state === 'T') && contextSwitches(pid, tid) === switches) out.add(tid);
      }
    }
    await sleep(10);
  }
  return [...out];
}

/** voluntary + nonvoluntary context switches of one thread; undefined once it is gone. */
function contextSwitches(pid: number, tid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
    const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status);
    return v && n ? Number(v[1]) + Number(n[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The pid `pid` has inside its own PID namespace (the last NSpid entry). */
export function innerPid(pid: number): number | undefined {
  try {
    const m = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]!.trim().split(/\s+/).at(-1)) : undefined;
  } catch {
    return undefined;
  }
}
