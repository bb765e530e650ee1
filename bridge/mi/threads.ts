// Which threads gdb knows and which it reports stopped, from MI async records. Used to know
// when `-exec-interrupt --all` has stopped everything, a wait that gdb's death or the
// target's ends at once (their notices must not sit out the timeout).
import type { MiClient } from './client.ts';
import type { MiAsyncRecord } from './records.ts';

/** How often a wait looks whether the target is gone (a /proc read; waits last a few ms). */
const GONE_POLL_MS = 10;

export class ThreadTracker {
  readonly known = new Set<string>();
  readonly stopped = new Set<string>();
  /** the process is gone: no thread will report a stop any more */
  groupExited = false;
  /** gdb is gone: nothing will be reported any more */
  gdbGone = false;
  private waiters: Array<() => void> = [];
  private readonly onAsync = (r: MiAsyncRecord): void => this.update(r);
  private readonly onGdbGone = (): void => {
    this.gdbGone = true;
    this.wake();
  };

  /**
   * `targetGone`, where given, is polled while waiting: a process killed while its threads
   * are stopped leaves its leader a zombie, which gdb 13 reports neither as exited nor as
   * stopped (measured: =thread-exited for every other thread, then nothing).
   */
  constructor(
    private readonly gdb: MiClient,
    private readonly targetGone?: () => boolean,
  ) {
    gdb.on('async', this.onAsync);
    gdb.on('exit', this.onGdbGone);
    gdb.on('pipe-closed', this.onGdbGone);
  }

  dispose(): void {
    this.gdb.off('async', this.onAsync);
    this.gdb.off('exit', this.onGdbGone);
    this.gdb.off('pipe-closed', this.onGdbGone);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private update(r: MiAsyncRecord): void {
    const id = r.results.id;
    const tid = r.results['thread-id'];
    if (r.kind === 'notify' && r.class === 'thread-group-exited') this.groupExited = true;
    else if (r.kind === 'notify' && r.class === 'thread-created' && typeof id === 'string') this.known.add(id);
    else if (r.kind === 'notify' && r.class === 'thread-exited' && typeof id === 'string') {
      this.known.delete(id);
      this.stopped.delete(id);
    } else if (r.kind === 'exec' && r.class === 'stopped') {
      if (typeof tid === 'string') this.stopped.add(tid);
      const all = r.results['stopped-threads'];
      if (all === 'all') for (const k of this.known) this.stopped.add(k);
    } else if (r.kind === 'exec' && r.class === 'running') {
      if (tid === 'all') this.stopped.clear();
      else if (typeof tid === 'string') this.stopped.delete(tid);
    } else return;
    this.wake();
  }

  allStopped(): boolean {
    for (const k of this.known) if (!this.stopped.has(k)) return false;
    return this.known.size > 0;
  }

  /** Resolves true once every known thread is stopped, false on timeout or when the process or gdb is gone. */
  waitAllStopped(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.allStopped(), timeoutMs);
  }

  /** Resolves true once some thread is stopped, false on timeout or when the process or gdb is gone. */
  waitAnyStopped(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.stopped.size > 0, timeoutMs);
  }

  private async waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (this.groupExited || this.gdbGone || this.targetGone?.()) return false;
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.targetGone ? Math.min(left, GONE_POLL_MS) : left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }
}
