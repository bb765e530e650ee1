// After gdb (or gdbserver) goes away uncleanly, a target can be left in group-stop
// (State T, no tracer) forever. This puts it back to running (gdb-mi-notes.md §5).
import type { Logger } from '../log.ts';
import { readProcStatus as readStatus, stopSettled, threadIds } from './proc/proc-status.ts';

export type WatchdogOutcome = 'running' | 'resumed' | 'traced' | 'gone';

/** The process exists and has not exited (not a zombie). */
export function processAlive(pid: number): boolean {
  const s = readStatus(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/**
 * If `pid` is stopped (T) with no tracer, SIGCONT it. A process still traced by someone
 * is left alone: stopping or resuming it is its tracer's business.
 */
export function resumeIfStopped(pid: number, log?: Logger): WatchdogOutcome {
  const s = readStatus(pid);
  if (!s || s.state === 'Z' || s.state === 'X') return 'gone';
  if (s.tracerPid !== 0) return 'traced';
  // Any thread in group-stop counts: the main thread may be running while others are not.
  const stopped = s.state === 'T' || threadIds(pid).some((tid) => readStatus(tid)?.state === 'T');
  if (!stopped) return 'running';
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    return 'gone';
  }
  log?.warn({ pid }, 'target was left stopped (State T, no tracer); sent SIGCONT');
  return 'resumed';
}

/**
 * After an unclean gdb exit a thread detached in a stop of ours can still enter group-stop
 * after we first looked (the kernel hands it back the SIGSTOP gdb held). Watch for up to
 * `settleMs` and SIGCONT whenever a stopped, untraced thread shows up; done as soon as /proc
 * shows that no stop can come any more (stopSettled), which is at once when none was in flight.
 */
export async function ensureRunning(pid: number, log?: Logger, settleMs = 500): Promise<WatchdogOutcome> {
  const end = Date.now() + settleMs;
  let outcome: WatchdogOutcome = 'running';
  for (;;) {
    const o = resumeIfStopped(pid, log);
    if (o === 'gone') return 'gone';
    if (o === 'resumed') outcome = 'resumed';
    if (o !== 'traced' && stopSettled(pid)) return outcome;
    if (Date.now() >= end) return o === 'traced' ? 'traced' : outcome;
    await new Promise((r) => setTimeout(r, 20));
  }
}
