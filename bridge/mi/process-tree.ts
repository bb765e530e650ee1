// A process's parent and descendants, from /proc: what stopping gdb's whole tree needs.
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid of `pid` from /proc, or undefined when it is gone (or a zombie). */
export function parentPid(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' ? stat.ppid : undefined;
}

/**
 * Every live descendant of `pid` (children of gdb: `shell` commands and their children), a
 * snapshot from /proc. Taken before gdb is killed: once it is gone they are re-parented and
 * can no longer be told apart.
 */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    const stat = readStat(Number(e));
    if (!stat || stat.state === 'Z') continue;
    const list = children.get(stat.ppid);
    if (list) list.push(Number(e));
    else children.set(stat.ppid, [Number(e)]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function readStat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  return rest[0] && Number.isSafeInteger(ppid) ? { state: rest[0], ppid } : undefined;
}
