// The MI sequence that makes a process behind gdbserver gdb's inferior with every thread
// running (gdb-mi-notes.md §7, §11.4): -target-select extended-remote, -target-attach (which
// stops every thread: wait until gdb has seen the stops), -exec-continue --all, then check
// that every thread runs again (continuing again for a stop that came late). Never
// `attach PID &` over remote: it leaves threads stopped.
import type { Logger } from '../../log.ts';
import type { MiClient } from '../../mi/client.ts';
import { interpreterExecConsole } from '../../mi/commands/console.ts';
import { execContinueAll } from '../../mi/commands/exec.ts';
import { targetAttach, targetSelect } from '../../mi/commands/target.ts';
import { threadInfo, type ThreadState } from '../../mi/commands/thread.ts';
import { GoError, GoErrorCode } from '../../go/errors.ts';
import { ThreadTracker } from '../../mi/threads.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when every known thread is stopped, or no stop was reported for `quietMs` (after at least one). */
async function quietStops(gdb: MiClient, tracker: ThreadTracker, timeoutMs: number, quietMs: number): Promise<void> {
  let last = 0;
  const onAsync = (r: { kind: string; class: string }): void => {
    if (r.kind === 'exec' && r.class === 'stopped') last = Date.now();
  };
  gdb.on('async', onAsync);
  try {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end && !tracker.allStopped()) {
      if (last > 0 && Date.now() - last >= quietMs) return;
      await sleep(20);
    }
  } finally {
    gdb.off('async', onAsync);
  }
}

/** Polls -thread-info until `pred` holds for every thread (and there is at least one). */
async function waitThreads(gdb: MiClient, pred: (s: string) => boolean, timeoutMs: number): Promise<ThreadState[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ts = await threadInfo(gdb);
    if (ts.length > 0 && ts.every((t) => pred(t.state))) return ts;
    if (Date.now() >= end) return ts;
    await sleep(20);
  }
}

/**
 * Connects gdb to the tunnel's local port and attaches `pid` with every thread left running.
 * Throws (the caller closes gdb, which detaches; gdbserver --once then lets the target go).
 */
export async function attachThroughGdbserver(
  gdb: MiClient,
  localPort: number,
  pid: number,
  log: Logger,
  describe: (err: unknown) => unknown,
  beforeAttach: () => void,
): Promise<void> {
  // gdbserver's attach stops each thread with SIGSTOP; when another signal (Go's SIGURG
  // preemption) reaches a thread first, that one is reported as its attach stop and the
  // SIGSTOP stays queued. gdb's default (stop, print, pass) would report it after the
  // continue and, passing it on, put the whole process in group-stop. Swallow it instead.
  await interpreterExecConsole(gdb, 'handle SIGSTOP nostop noprint nopass');
  await targetSelect(gdb, 'extended-remote', `127.0.0.1:${localPort}`);
  const tracker = new ThreadTracker(gdb);
  try {
    beforeAttach();
    try {
      await targetAttach(gdb, pid, { timeoutMs: 60_000 });
    } catch (err) {
      throw describe(err);
    }
    // Every thread is being stopped. Continuing before gdb has seen a thread's stop would
    // leave that thread stopped once its stop arrives, so wait until every thread reported
    // or the stop reports have ceased (a thread that caught a passed signal, e.g. SIGURG,
    // during the attach is already running again and reports nothing more).
    await quietStops(gdb, tracker, 20_000, 300);
    const before = await threadInfo(gdb);
    log.debug({ stopped: before.filter((t) => t.state === 'stopped').length, threads: before.length }, 'attach stops reported');
    for (let round = 1; ; round++) {
      await execContinueAll(gdb);
      // A stop that was still on its way shows up as a stopped thread here: continue again.
      let after = await waitThreads(gdb, (s) => s === 'running', 2000);
      if (after.every((t) => t.state === 'running')) {
        await sleep(100);
        after = await threadInfo(gdb);
      }
      const still = after.filter((t) => t.state !== 'running');
      if (still.length === 0) {
        log.debug({ threads: after.length }, 'remote target attached; every thread running');
        // From now on a SIGSTOP is the program's business again, like every other signal.
        await interpreterExecConsole(gdb, 'handle SIGSTOP nostop noprint pass');
        return;
      }
      if (round >= 3) throw new GoError(GoErrorCode.READ_FAILED, `process ${pid}: threads ${still.map((t) => t.id).join(',')} did not resume after -exec-continue --all`);
      log.warn({ threads: still.map((t) => t.id) }, 'threads still stopped after -exec-continue --all; continuing again');
    }
  } finally {
    tracker.dispose();
  }
}
