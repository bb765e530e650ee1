// What a chaos bench checks on its target after each kill, from /proc only: is it alive,
// stopped (group-stop with no tracer), traced by whom. Benchmarks only.
import { readFileSync, readdirSync } from 'node:fs';

export interface TargetState {
  alive: boolean;
  tracer: number;
  /** some thread is in group-stop (T) */
  stopped: boolean;
}

function status(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function targetState(pid: number): TargetState {
  const s = status(`/proc/${pid}/status`);
  const state = s && /^State:\s+(\S)/m.exec(s)?.[1];
  if (!s || state === 'Z' || state === 'X') return { alive: false, tracer: 0, stopped: false };
  let stopped = state === 'T';
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) if (/^State:\s+T/m.test(status(`/proc/${pid}/task/${tid}/status`) ?? '')) stopped = true;
  } catch {
    /* exiting */
  }
  return { alive: true, tracer: Number(/^TracerPid:\s+(\d+)/m.exec(s)?.[1] ?? 0), stopped };
}

/** Live processes named `comm` among `pids`. */
export function stillAlive(pids: Iterable<number>, comm = 'gdb'): number[] {
  const out: number[] = [];
  for (const p of pids) {
    const c = status(`/proc/${p}/comm`)?.trim();
    const st = status(`/proc/${p}/stat`);
    const state = st?.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
    if (c === comm && state !== 'Z') out.push(p);
  }
  return out;
}
