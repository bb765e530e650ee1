// What a chaos bench checks on its target after each kill, from /proc only (through the kit):
// is it alive, stopped (group-stop with no tracer), traced by whom. Benchmarks only.
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { procStat, threadStates } from '../kit/proc.ts';

export interface TargetState {
  alive: boolean;
  tracer: number;
  /** some thread is in group-stop (T) */
  stopped: boolean;
}

export function targetState(pid: number): TargetState {
  const s = readProcStatus(pid);
  if (!s || s.state === 'Z' || s.state === 'X') return { alive: false, tracer: 0, stopped: false };
  return { alive: true, tracer: s.tracerPid, stopped: s.state === 'T' || threadStates(pid).includes('T') };
}

/** Live processes named `comm` among `pids`. */
export function stillAlive(pids: Iterable<number>, comm = 'gdb'): number[] {
  const out: number[] = [];
  for (const p of pids) {
    const st = procStat(p);
    if (st?.comm === comm && st.state !== 'Z') out.push(p);
  }
  return out;
}
