// The processes that launched us (parent, grandparent), identified by pid and start time, so
// that a launcher that died (and a pid reused since) is noticed. See main.ts.
import { readFileSync } from 'node:fs';

export interface Launcher {
  pid: number;
  /** /proc/PID/stat field 22: start time in clock ticks since boot */
  start: string;
}

function stat(pid: number): { state: string; ppid: number; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]), start: f[19]! };
  } catch {
    return undefined;
  }
}

/** Up to `depth` launchers of `pid`, nearest first; pid 1 and below end the chain. */
export function launcherChain(pid: number, depth: number): Launcher[] {
  const chain: Launcher[] = [];
  let cur = stat(pid)?.ppid;
  while (cur !== undefined && cur > 1 && chain.length < depth) {
    const s = stat(cur);
    if (!s) break;
    chain.push({ pid: cur, start: s.start });
    cur = s.ppid;
  }
  return chain;
}

/** The first launcher of the chain that is gone (a zombie, or its pid now names another process). */
export function launcherGone(chain: Launcher[]): Launcher | undefined {
  return chain.find((l) => {
    const s = stat(l.pid);
    return s === undefined || s.state === 'Z' || s.start !== l.start;
  });
}
