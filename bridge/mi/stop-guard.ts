// A thread must never stay stopped because of us. In non-stop mode with every signal passed
// (preamble.ts) gdb reports no stop of its own; the only stops we cause are the per-thread
// SIGSTOPs of our own `-exec-interrupt --all` (consistent mode, reported with signal-name
// "0") and an attach's. Anything else (a `handle` row someone changed, a stray catchpoint, a
// stop that arrived after our resume) is a fault: the thread is resumed at once, with the
// signal it stopped on handed to the program, and the fault is logged with its reason.
//
// The signal goes on by putting its row back to nostop noprint pass (what the preamble
// asked for) and continuing the thread: gdb decides at resume whether to deliver it. The
// CLI `signal SIG` would deliver it whatever the row says, but it runs in the foreground
// and gdb then answered no command until that thread stopped again (measured: the next
// -exec-interrupt --all hung).
import type { Logger } from '../log.ts';
import type { MiClient, SendOptions } from './client.ts';
import { interpreterExecConsole } from './commands/console.ts';
import { execContinueThread } from './commands/exec.ts';
import { threadInfo } from './commands/thread.ts';
import type { MiAsyncRecord } from './records.ts';

export interface UnexpectedStop {
  threadId: string;
  /** gdb's `reason` (signal-received, exec, fork, …) */
  reason: string;
  /** the signal the thread stopped on, if any (it is passed on) */
  signal: string | undefined;
  /** how it ended: resumed, or the resume failed (the thread may have exited meanwhile) */
  outcome: 'resumed' | 'failed';
}

/** Stops that mean the process is gone, not stopped. */
const EXIT_REASONS = new Set(['exited', 'exited-normally', 'exited-signalled']);

export class StopGuard {
  /** Inside our own whole-process stop: its signal-0 stops are expected. */
  private ownStop = false;
  /** Our `-exec-continue --all` is on its way: `*running` records from now on are its. */
  private ownResumeSentFlag = false;
  /**
   * Threads our own resume has already let go (their `*running` record came), or `all`: a
   * stop of theirs after that is not ours, even before endOwnStop() runs (the records that
   * follow `^running` in the same read are handled before the awaiting code resumes). The
   * `*running` records of the previous resume can arrive after beginOwnStop() (a sample that
   * follows at once); gdb sends them before it answers our interrupt, so they are all in by
   * the time our resume is sent, and are not counted.
   */
  private readonly resumedInOwnStop = new Set<string>();
  private disposed = false;
  private readonly resuming = new Set<string>();
  /** faults seen so far */
  faults = 0;
  private readonly onAsync = (r: MiAsyncRecord): void => this.check(r);

  constructor(
    private readonly gdb: MiClient,
    private readonly log: Logger,
    private readonly onFault: (s: UnexpectedStop) => void = () => undefined,
  ) {
    gdb.on('async', this.onAsync);
  }

  /** Our `-exec-interrupt --all` is about to be sent: its stops are ours until endOwnStop(). */
  beginOwnStop(): void {
    this.ownStop = true;
    this.ownResumeSentFlag = false;
    this.resumedInOwnStop.clear();
  }

  /** Our `-exec-continue --all` is about to be sent. */
  ownResumeSent(): void {
    this.ownResumeSentFlag = true;
  }

  /** Our `-exec-continue --all` has been answered: from now on every stop is a fault. */
  endOwnStop(): void {
    this.ownStop = false;
  }

  dispose(): void {
    this.disposed = true;
    this.gdb.off('async', this.onAsync);
  }

  /**
   * Resumes every thread gdb lists as stopped (for stops reported before the guard existed,
   * e.g. during an attach). Returns how many it resumed.
   */
  async sweep(opts?: SendOptions): Promise<number> {
    if (this.ownStop) return 0;
    const threads = await threadInfo(this.gdb, opts);
    const stopped = threads.filter((t) => t.state === 'stopped');
    for (const t of stopped) await this.resume({ threadId: t.id, reason: 'found-stopped', signal: undefined });
    return stopped.length;
  }

  private check(r: MiAsyncRecord): void {
    if (this.disposed || r.kind !== 'exec') return;
    const threadId = r.results['thread-id'];
    if (r.class === 'running') {
      if (this.ownStop && this.ownResumeSentFlag && typeof threadId === 'string') this.resumedInOwnStop.add(threadId);
      return;
    }
    if (r.class !== 'stopped') return;
    const reason = typeof r.results.reason === 'string' ? r.results.reason : '';
    if (EXIT_REASONS.has(reason)) return;
    const signal = typeof r.results['signal-name'] === 'string' ? r.results['signal-name'] : undefined;
    const ownStop = this.ownStop && !this.resumedInOwnStop.has('all') && !(typeof threadId === 'string' && this.resumedInOwnStop.has(threadId));
    // Ours: the stop our interrupt asks for (SIGSTOP, which gdb reports as signal 0). A signal
    // that reaches a thread while our SIGSTOP is in flight is reported in its place: that
    // thread is stopped for us too, and our `-exec-continue --all` delivers the signal (its
    // row says pass). Resuming it here would let it run through the read and leave the
    // interrupt waiting for a stop that never comes.
    if (ownStop && (signal === '0' || reason === '' || reason === 'signal-received')) {
      if (reason === 'signal-received' && signal !== '0') this.log.debug({ threadId, signal }, 'a signal arrived during our stop; our resume delivers it');
      return;
    }
    if (typeof threadId !== 'string') {
      this.log.warn({ reason, signal, record: r.results }, 'a stop without a thread id; resuming every thread');
      void this.sweep().catch((err: unknown) => this.log.warn({ err }, 'resuming after an unexpected stop failed'));
      return;
    }
    void this.resume({ threadId, reason: reason || 'unknown', signal: signal === '0' ? undefined : signal });
  }

  private async resume(s: Omit<UnexpectedStop, 'outcome'>): Promise<void> {
    if (this.resuming.has(s.threadId) || this.gdb.isExited) return;
    this.resuming.add(s.threadId);
    this.faults++;
    let outcome: UnexpectedStop['outcome'] = 'resumed';
    try {
      if (s.signal !== undefined && /^SIG[A-Z0-9]+$/.test(s.signal)) await interpreterExecConsole(this.gdb, `handle ${s.signal} nostop noprint pass`);
      await execContinueThread(this.gdb, s.threadId);
    } catch (err) {
      outcome = 'failed';
      this.log.warn({ err, ...s }, 'could not resume a thread stopped by something we did not ask for');
    } finally {
      this.resuming.delete(s.threadId);
    }
    if (outcome === 'resumed') this.log.warn(s, 'a thread was stopped by something we did not ask for; resumed it at once, its signal passed on');
    this.onFault({ ...s, outcome });
  }
}
