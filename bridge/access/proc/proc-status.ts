// What /proc says about a process and its threads. parseProcStatus is the one reader of a
// /proc/PID/status text (local, or fetched over ssh); the rest reads this host's /proc for the
// watchdog (a target left stopped), the stop monitor and the vfork gate.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStatus {
  /** R, S, D, T (stopped), t (tracing stop), Z, X, … */
  state: string;
  tracerPid: number;
  ppid: number;
  /** real, effective, saved, filesystem */
  uids: number[];
  gids: number[];
  /** CapEff; undefined when the line is absent */
  capEff: bigint | undefined;
  /** peak resident set (VmHWM) in KiB; undefined for a kernel thread or a zombie */
  vmHwmKiB: number | undefined;
}

/** A /proc/PID/status text. Pure. */
export function parseProcStatus(text: string): ProcStatus {
  const line = (name: string): string | undefined => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(text)?.[1]?.trim();
  const ids = (name: string): number[] => (line(name) ?? '').split(/\s+/).filter((x) => x !== '').map(Number);
  const capEff = line('CapEff');
  const hwm = /^(\d+) kB$/.exec(line('VmHWM') ?? '')?.[1];
  return {
    state: /^\S/.exec(line('State') ?? '')?.[0] ?? '?',
    tracerPid: Number(line('TracerPid') ?? '0'),
    ppid: Number(line('PPid') ?? '0'),
    uids: ids('Uid'),
    gids: ids('Gid'),
    capEff: capEff !== undefined && /^[0-9a-f]+$/.test(capEff) ? BigInt(`0x${capEff}`) : undefined,
    vmHwmKiB: hwm === undefined ? undefined : Number(hwm),
  };
}

/** This host's /proc/PID/status, or undefined when the process is gone. */
export function readProcStatus(pid: number | 'self'): ProcStatus | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Thread ids of `pid` (empty when it is gone). */
export function threadIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/**
 * Threads of `pid` that cannot run: in group-stop (T), in a ptrace stop (t), or exited and
 * waiting to be reaped (Z: while traced, by the tracer; an exec waits for that). Empty when
 * the process itself is gone.
 */
export function stoppedThreadIds(pid: number): number[] {
  const leader = readProcStatus(pid)?.state;
  if (leader === undefined || leader === 'X' || (leader === 'Z' && threadIds(pid).length <= 1)) return [];
  return threadIds(pid).filter((tid) => {
    const s = readProcStatus(tid)?.state;
    return s === 't' || s === 'T' || s === 'Z';
  });
}

/**
 * `pid` has exited: gone, or every thread a zombie. A zombie leader beside a live thread is an
 * exec in progress (the exec'ing thread waits for the leader to be reaped), not an exit.
 */
export function processGone(pid: number): boolean {
  const leader = readProcStatus(pid)?.state;
  if (leader === undefined || leader === 'X') return true;
  if (leader !== 'Z') return false;
  return threadIds(pid).every((tid) => {
    const s = readProcStatus(tid)?.state;
    return s === undefined || s === 'Z' || s === 'X';
  });
}

/** PF_FORKNOEXEC in /proc/PID/stat's flags: forked and not (yet) exec'd. */
const PF_FORKNOEXEC = 0x40;

/** `pid` exists, is not a zombie, and has not exec'd since it was forked (a vfork child still on its parent's memory). */
export function forkedNotExeced(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the comm: state(0) ppid pgrp session tty_nr tpgid flags(6)
    return f[0] !== 'Z' && f[0] !== 'X' && (Number(f[6]) & PF_FORKNOEXEC) !== 0;
  } catch {
    return false;
  }
}

/** SIGSTOP's bit in /proc's SigPnd/ShdPnd masks. */
const SIGSTOP_BIT = 1n << 18n;

/**
 * Nothing can put `pid` into a stop any more once its tracer is gone: no thread is traced,
 * stopped (t or T), holds a signal a tracer left it to deliver (exit_code, /proc/PID/stat
 * field 52: a SIGSTOP of ours that the kernel hands back at detach), or has a SIGSTOP
 * pending. False while any of that may still be, or when it cannot be read.
 */
export function stopSettled(pid: number): boolean {
  let shared = 0n;
  for (const tid of threadIds(pid)) {
    let status: string;
    let stat: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread exited meanwhile
    }
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (state === 't' || state === 'T') return false;
    if (Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1] ?? '1') !== 0) return false;
    const own = BigInt(`0x${/^SigPnd:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? 'ffff'}`);
    shared |= BigInt(`0x${/^ShdPnd:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? 'ffff'}`);
    if ((own & SIGSTOP_BIT) !== 0n) return false;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // exit_code is the last field; absent (or not ours to see) on old kernels: not provable
    const exitCode = fields.length >= 50 ? Number(fields[fields.length - 1]) : NaN;
    if (exitCode !== 0 && state !== 'Z' && state !== 'X') return false;
  }
  return (shared & SIGSTOP_BIT) === 0n;
}
