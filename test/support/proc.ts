// /proc readers used by tests (and mirrored by the watchdog): is a process alive, stopped, traced?
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStatus {
  state: string; // R, S, T, t, Z, …
  tracerPid: number;
}

export function procStatus(pid: number): ProcStatus | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(s)?.[1] ?? '?';
    const tracerPid = Number(/^TracerPid:\s+(\d+)/m.exec(s)?.[1] ?? '0');
    return { state, tracerPid };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  const s = procStatus(pid);
  return s !== undefined && s.state !== 'Z';
}

/** Every thread's state letter, e.g. ['S','S','t']. */
export function threadStates(pid: number): string[] {
  const out: string[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = procStatus(Number(tid));
      if (s) out.push(s.state);
    }
  } catch {
    /* gone */
  }
  return out;
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
    const s = procStatus(Number(tid));
    return s === undefined || (s.tracerPid === 0 && s.state !== 't' && s.state !== 'T');
  });
}

/** tid → state letter for every thread. */
export function threadStateMap(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = procStatus(Number(tid));
      if (s) out.set(Number(tid), s.state);
    }
  } catch {
    /* gone */
  }
  return out;
}

/**
 * Threads seen stopped (t/T) in `samples` looks and still stopped `recheckMs` later: a
 * stop that lasts. Brief ptrace stops (a signal passing through gdb, a new thread) are normal.
 */
export async function lingeringStops(pid: number, samples = 10, recheckMs = 150): Promise<number[]> {
  const out = new Set<number>();
  for (let i = 0; i < samples; i++) {
    const stopped = [...threadStateMap(pid)].filter(([, s]) => s === 't' || s === 'T').map(([tid]) => tid);
    if (stopped.length > 0) {
      await sleep(recheckMs);
      const now = threadStateMap(pid);
      for (const tid of stopped) if (now.get(tid) === 't' || now.get(tid) === 'T') out.add(tid);
    }
    await sleep(10);
  }
  return [...out];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until it holds or `timeoutMs` passes; returns its last value. */
export async function until<T>(pred: () => T | Promise<T>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await pred();
  while (!v && Date.now() < end) {
    await sleep(everyMs);
    v = await pred();
  }
  return v;
}

/** PIDs of gdb processes whose parent is `ppid` (or any gdb if ppid is undefined). */
export function gdbProcesses(ppid?: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (!m || m[1] !== 'gdb') continue;
      if (ppid === undefined || Number(m[2]) === ppid) out.push(Number(d));
    } catch {
      /* raced with exit */
    }
  }
  return out;
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
      out.push({ pid: Number(d), state: procStatus(Number(d))?.state ?? '?' });
    } catch {
      /* raced with exit */
    }
  }
  return out;
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
