// One Go target (a local process, a remote one, or a core file) read through one gdb:
// preflight, layouts (cached by build ID), non-stop attach without stopping anything,
// samples in live or consistent mode, and a detach on every exit path. What differs between
// the kinds of target lives in a TargetAccess.
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import type { ProcessStats } from '../../protocol/process-stats.ts';
import type { SampleMode } from '../../protocol/client-messages.ts';
import type { ReadingMeta } from '../../protocol/server-messages.ts';
import type { MiClient } from '../mi/client.ts';
import { dataEvaluateExpression, dataReadMemoryBytes } from '../mi/commands/data.ts';
import { environmentCd } from '../mi/commands/environment.ts';
import { execContinueAll, execInterruptAll } from '../mi/commands/exec.ts';
import { fileExecAndSymbols } from '../mi/commands/file.ts';
import { targetDetach } from '../mi/commands/target.ts';
import { threadInfo } from '../mi/commands/thread.ts';
import { openGdb } from '../mi/open.ts';
import { verifySignalsPassed } from '../mi/signals.ts';
import { StopGuard, type UnexpectedStop } from '../mi/stop-guard.ts';
import { archFor, type ArchConstants } from './decode/arch.ts';
import { resolveDecoderLayout, type DecoderLayout } from './layout/decoder-layout.ts';
import { GoError, GoErrorCode } from './errors.ts';
import type { HeadroomRule } from './decode/heap-goal.ts';
import { loadLayout, saveLayout } from './layout/layout-cache.ts';
import { LayoutResolver } from './layout/layout.ts';
import { decodeSnapshot, type DecodedSample } from './decode/memstats.ts';
import { MiMemory, type Memory } from './memory/memory.ts';
import type { Preflight } from './target-access.ts';
import { readSnapshot } from './memory/read.ts';
import { HEX_COSTS, LOCAL_COSTS, PlannedMemory, ReadPlan, REMOTE_COSTS } from './memory/read-plan.ts';
import { DumpDir } from './memory/dump-dir.ts';
import type { Snapshot } from './decode/snapshot.ts';
import type { TargetAccess } from './target-access.ts';
import { ThreadTracker } from '../mi/threads.ts';
import { gdbPath, type GdbPath } from './binary/gdb-path.ts';
import { StopWatcher, type LastingStop } from './stop-monitor.ts';
import { VforkGate } from './vfork-gate.ts';

export type { SampleMode } from '../../protocol/client-messages.ts';

/** The protocol's reading facts (meta of a sample frame, less what the server adds), and the plan's misses. */
export interface SampleMeta extends ReadingMeta {
  /** reads the plan did not cover (each a command of its own, in a later round) */
  misses: number;
}

export interface Sample extends DecodedSample {
  meta: SampleMeta;
  time: Date;
  /** the process as /proc shows it (at most a second or so old); absent for a core */
  process?: ProcessStats | undefined;
}

export interface TargetInfo {
  pid: number;
  exe: string;
  goVersion: string;
  buildId: string;
  /** the SSH destination of a remote target */
  host?: string;
  /** the core file of a post-mortem target */
  core?: string;
}

export interface ReaderOptions {
  log: Logger;
  gdbPath?: string | undefined;
  cacheDir?: string | undefined;
  /** Sees the gdb client as soon as it runs (transcripts; tests that misconfigure it on purpose). */
  onGdb?: ((gdb: MiClient) => void) | undefined;
  /** Wraps the reads of each sample (tests that skew reads in time on purpose). */
  wrapMemory?: ((mem: Memory) => Memory) | undefined;
}

export interface ReaderEvents {
  /** A thread was stopped by something we did not ask for; it was resumed at once. */
  'unexpected-stop': [UnexpectedStop];
  /** The target has been stopped for over a second while attached (see stop-monitor.ts). */
  'target-stopped': [LastingStop];
  /** A reported lasting stop is over. */
  'target-running': [];
}

const MAX_ATTEMPTS = 5;
/** How often /proc is looked at for the target's exit while a sample is in flight (samples last a few ms). */
const EXIT_POLL_MS = 20;
/** How long gdb gets to answer when the target seems stuck before it is killed (which detaches). */
const STUCK_PING_MS = 1000;
/** How much longer a first stop is awaited when no /proc view can tell slow from lost (750 ms + this stays under the stop watcher's 2 s). */
const BLIND_STOP_GRACE_MS = 1000;
/** gdb prints this (console) when the inferior calls exec; no MI record reports it. */
const EXEC_NOTICE = /^process (\d+) is executing new program: (.*)\n?$/;

export class TargetReader extends EventEmitter<ReaderEvents> {
  readonly info: TargetInfo;
  /** true when the layout came from the on-disk cache */
  readonly layoutCached: boolean;
  /** MI round trips spent resolving layouts (0 on a cache hit) */
  readonly layoutCommands: number;
  private exited = false;
  private closing: Promise<void> | undefined;
  /** The sample in flight, so close() can let it resume the target first. */
  private inFlight: Promise<unknown> | undefined;
  /** -exec-interrupt --all was sent and not yet undone by -exec-continue --all. */
  private stopRequested = false;
  /** the program the process exec'd, once gdb saw it do so */
  private replacedBy: string | undefined;
  /** holds a consistent stop back while an os/exec vfork is in flight */
  private readonly vforks: VforkGate;
  private guard: StopGuard | undefined;
  private recovering = false;
  /** why the target was detached by force (the reader is done) */
  private forcedOff: string | undefined;
  /** what the next sample of each mode reads up front (read-plan.ts); consistent also reads the caller chain */
  private readonly plans: Record<SampleMode, ReadPlan>;
  /** where gdb dumps large ranges; undefined = hex reads only */
  private readonly dumps: DumpDir | undefined;

  private constructor(
    private readonly access: TargetAccess,
    private readonly gdb: MiClient,
    private readonly layout: DecoderLayout,
    private readonly pre: Preflight,
    private readonly arch: ArchConstants,
    private readonly rule: HeadroomRule,
    private readonly bias: bigint,
    private readonly threads: ThreadTracker,
    private readonly watcher: StopWatcher,
    /** the name gdb was given for the symbol file (a private symlink for an unusual path) */
    private readonly symbols: GdbPath | undefined,
    private readonly log: Logger,
    cached: boolean,
    layoutCommands: number,
    private readonly wrapMemory: ((mem: Memory) => Memory) | undefined,
  ) {
    super();
    this.vforks = new VforkGate(access);
    this.dumps = DumpDir.create();
    if (!this.dumps) log.warn('no private directory for memory dumps (tmpfs or TMPDIR); reading through hex, which is slower: make /dev/shm or TMPDIR writable for this user');
    const costs = !this.dumps ? HEX_COSTS : access.kind === 'remote' ? REMOTE_COSTS : LOCAL_COSTS;
    this.plans = { live: new ReadPlan(costs), consistent: new ReadPlan(costs) };
    this.info = { pid: pre.pid, exe: pre.exePath, goVersion: layout.buildVersion, buildId: pre.buildId, ...access.labels };
    this.layoutCached = cached;
    this.layoutCommands = layoutCommands;
    gdb.on('async', (r) => {
      // A detach and a lost remote link also report thread-group-exited, but without an exit
      // code; a process killed by a signal says so in its own stop record.
      if (r.kind === 'notify' && r.class === 'thread-group-exited' && r.results['exit-code'] !== undefined) this.exited = true;
      if (r.kind === 'exec' && r.class === 'stopped' && r.results.reason === 'exited-signalled') this.exited = true;
    });
    gdb.on('stream', (r) => {
      if (r.kind !== 'console') return;
      const m = EXEC_NOTICE.exec(r.text);
      if (m && Number(m[1]) === this.info.pid) {
        this.replacedBy = m[2]!;
        log.warn({ program: this.replacedBy }, 'the process replaced its program (exec); this reader is done');
      }
      this.vforks.notice(r.text);
    });
  }

  /**
   * After attach: refuse a gdb that would not pass every signal, then guard against stops we
   * did not cause and watch for lasting ones. A core has no threads to stop or resume.
   */
  private async guardTarget(): Promise<void> {
    this.watcher.setHandlers({
      lasting: (lasting) => {
        this.log.warn(lasting, 'the target has been stopped for over a second while attached');
        this.emit('target-stopped', lasting);
        if (!this.recovering) void this.unstick(lasting);
      },
      over: () => {
        this.log.info('the target runs again');
        this.emit('target-running');
      },
    });
    if (this.access.frozen) return;
    await verifySignalsPassed(this.gdb);
    this.guard = new StopGuard(this.gdb, this.log, (s) => this.emit('unexpected-stop', s));
    const found = await this.guard.sweep();
    if (found > 0) this.log.warn({ threads: found }, 'threads were stopped right after attaching; resumed them');
  }

  /**
   * After attach (every path gdb opens is given by then): gdb works in the dump directory, so
   * a dump names its file in a few bytes. Without it, dumps name the full path.
   */
  private async moveGdbIntoDumpDir(): Promise<void> {
    if (!this.dumps) return;
    try {
      await environmentCd(this.gdb, this.dumps.path);
      this.dumps.gdbInside = true;
    } catch (err) {
      this.log.debug({ err }, 'gdb could not change into the dump directory; dumps name full paths');
    }
  }

  /**
   * A lasting stop: ask gdb to resume whatever it has stopped. If the stop outlasts that, or
   * gdb does not answer within STUCK_PING_MS, the target is let go by force (see letGo).
   */
  private async unstick(lasting: LastingStop): Promise<void> {
    this.recovering = true;
    try {
      if (lasting.cause === 'other' && this.guard) {
        await this.guard.sweep({ timeoutMs: STUCK_PING_MS });
      } else {
        await threadInfo(this.gdb, { timeoutMs: STUCK_PING_MS });
      }
      // gdb answers. A stop of ours that still lasts is a read that hangs; one it cannot see
      // is beyond it. Either way, give it one more round.
      await new Promise((r) => setTimeout(r, STUCK_PING_MS));
      if (!this.watcher.lasting) return;
      await this.letGo('the target is still stopped', this.watcher.lasting);
    } catch (err) {
      this.log.error({ err, ...lasting }, 'gdb does not answer while the target is stopped; killing gdb, which detaches it');
      this.gdb.kill('SIGKILL');
    } finally {
      this.recovering = false;
    }
  }

  /**
   * Detaches now (every thread is released), or kills gdb if it does not answer. A detach is
   * asked for first: after an exec, gdbserver no longer counts the process as attached and
   * kills it when gdb's connection drops. The reader is unusable afterwards.
   */
  private async letGo(why: string, context: object): Promise<void> {
    this.forcedOff = why;
    this.log.error(context, `${why}; detaching by force`);
    try {
      await targetDetach(this.gdb, this.info.pid, { timeoutMs: STUCK_PING_MS });
    } catch (err) {
      this.log.error({ err }, 'the detach failed; killing gdb, which detaches it');
      this.gdb.kill('SIGKILL');
    }
  }

  private forcedOffError(): GoError {
    return new GoError(GoErrorCode.GDB_LOST_THREADS, `${this.forcedOff}: the target was detached by force and runs on; attach again`);
  }

  static async open(access: TargetAccess, opts: ReaderOptions): Promise<TargetReader> {
    const log = opts.log.child({ component: 'target', target: access.description });
    const pre = await access.preflight();
    const arch = archFor(pre.machineName);
    if (!arch) throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `architecture ${pre.machineName} is not supported yet (amd64 and arm64 are)`);
    // A layout cached for this build ID needs no DWARF at all: gdb then skips reading it
    // (--readnever; ELF symbols are still there, for the PIE base and stop frames).
    const cachedLayout = await loadLayout(pre.buildId, opts.cacheDir);
    let gdb: MiClient;
    try {
      gdb = await openGdb({ log, gdbPath: opts.gdbPath, onSpawn: opts.onGdb, extraArgs: cachedLayout ? ['--readnever'] : [] });
    } catch (err) {
      await access.dispose();
      throw err;
    }
    const threads = new ThreadTracker(gdb, access.exitedNow?.bind(access));
    // Watches from before the attach: gdb 13 can hang in `attach` (a process that execs
    // meanwhile holds its zombie threads for gdb to reap), and only gdb's death frees it.
    let heldDuringOpen: LastingStop | undefined;
    const watcher = new StopWatcher(() => access.stoppedThreads?.(), {
      lasting: (stop) => {
        heldDuringOpen = stop;
        log.error(stop, 'the target is held while gdb attaches; killing gdb, which lets it go');
        gdb.kill('SIGKILL');
      },
      over: () => undefined,
    });
    // …or sit in it for good: an attach that outlives the program it was for is given up.
    const execWatch = setInterval(() => {
      if (access.replacedProgram?.() === undefined) return;
      log.warn('the process exec\'d while gdb was attaching; killing gdb to attach again');
      clearInterval(execWatch);
      gdb.kill('SIGKILL');
    }, 250);
    execWatch.unref();
    let reader: TargetReader | undefined;
    let symbols: GdbPath | undefined;
    try {
      let layout = cachedLayout;
      const cached = layout !== undefined;
      let commands = 0;
      const resolve = async (): Promise<DecoderLayout> => {
        const r = new LayoutResolver(gdb);
        const l = await resolveDecoderLayout(r, async (a, n) => (await dataReadMemoryBytes(gdb, a, n)).bytes);
        commands = r.commands;
        await saveLayout(pre.buildId, l, opts.cacheDir).catch((err: unknown) => log.warn({ err }, 'could not save the layout cache'));
        return l;
      };
      // With a local symbol file, resolve before attaching, so the process never waits on it;
      // an executable fetched over the link is only there once attached.
      if (pre.symbolFile !== undefined) {
        // Kept until gdb is gone: gdb may open the file again by that name.
        symbols = await gdbPath(pre.symbolFile);
        await fileExecAndSymbols(gdb, symbols.path);
        layout ??= await resolve();
      }
      await access.attach(gdb, pre, log);
      layout ??= await resolve();
      log.debug({ cached, commands, buildId: pre.buildId }, 'layout ready');
      let bias = 0n;
      if (pre.pie) {
        const runtime = BigInt(await dataEvaluateExpression(gdb, "(unsigned long)&'runtime.memstats'"));
        bias = runtime - BigInt(layout.globals.memstats.addr);
      }
      const c = layout.constants;
      const rule: HeadroomRule = { percent: c.headroomPercent === undefined ? undefined : BigInt(c.headroomPercent), min: BigInt(c.headroomMin) };
      reader = new TargetReader(access, gdb, layout, pre, arch, rule, bias, threads, watcher, symbols, log, cached, commands, opts.wrapMemory);
      await reader.guardTarget();
      await reader.moveGdbIntoDumpDir();
      clearInterval(execWatch);
      return reader;
    } catch (err) {
      clearInterval(execWatch);
      watcher.dispose();
      reader?.stopWatching();
      reader?.dumps?.dispose();
      threads.dispose();
      const exit = await gdb.close();
      await symbols?.dispose();
      await access.ensureRunning(log, exit.requested ? 50 : 500);
      await access.dispose();
      // An exec during the attach upsets gdb in several ways (errors, a crash, a hang): say
      // what happened, so that the caller attaches again to the new program.
      const replaced = access.replacedProgram?.();
      if (replaced !== undefined) throw new GoError(GoErrorCode.TARGET_REPLACED, `process ${pre.pid} replaced its program with ${replaced} (exec) while it was being attached; attach again`, { cause: err });
      // A process that exits during the attach makes gdb fail in many words (/proc/PID/ns/mnt
      // missing, "Selected thread is running", …): one coded line says what happened.
      if (!(err instanceof GoError && err.code === GoErrorCode.NO_SUCH_PROCESS) && !(await access.alive().catch(() => true))) {
        throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pre.pid} exited while it was being attached`, { cause: err });
      }
      if (heldDuringOpen) throw new GoError(GoErrorCode.TARGET_STOPPED, `process ${pre.pid} was held stopped for ${(heldDuringOpen.stoppedMs / 1000).toFixed(1)} s while gdb attached; gdb was killed and the process runs on; try again`, { cause: err });
      throw err;
    }
  }

  /** gdb is still running. */
  get gdbAlive(): boolean {
    return !this.gdb.isExited;
  }

  /** The pid of the gdb reading this target. */
  get gdbPid(): number {
    return this.gdb.pid;
  }

  get isExited(): boolean {
    return this.exited;
  }

  /** Threads resumed so far after stops we did not cause. */
  get unexpectedStops(): number {
    return this.guard?.faults ?? 0;
  }

  /** The lasting stop now reported (over a second while attached), if any. */
  get stopped(): LastingStop | undefined {
    return this.watcher.lasting;
  }

  private stopWatching(): void {
    this.watcher.dispose();
    this.guard?.dispose();
  }

  private replacedError(cause?: unknown): GoError {
    return new GoError(GoErrorCode.TARGET_REPLACED, `process ${this.info.pid} replaced its program with ${this.replacedBy} (exec); attach again to read the new one`, { cause });
  }

  /** One sample. A torn snapshot is retried; after MAX_ATTEMPTS it is returned flagged. */
  sample(mode: SampleMode = 'live'): Promise<Sample> {
    if (this.closing) return Promise.reject(new GoError(GoErrorCode.TARGET_EXITED, 'target is closed'));
    if (this.replacedBy !== undefined) return Promise.reject(this.replacedError());
    if (this.forcedOff !== undefined) return Promise.reject(this.forcedOffError());
    const p = this.sampleOnce(mode);
    this.inFlight = p.catch(() => undefined);
    return this.access.exitedNow ? this.endedByExit(p, this.access.exitedNow.bind(this.access)) : p;
  }

  /**
   * The sample, or TARGET_EXITED as soon as /proc shows the process gone: gdb 13 can stop
   * answering altogether when the process is killed in the middle of a stop (measured: no
   * reply for over a second, until the stop watcher killed gdb), and the exit must reach
   * subscribers now, not at a timeout.
   */
  private endedByExit(p: Promise<Sample>, gone: () => boolean): Promise<Sample> {
    let timer: NodeJS.Timeout | undefined;
    const exit = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        if (!gone()) return;
        this.exited = true;
        reject(new GoError(GoErrorCode.TARGET_EXITED, `process ${this.info.pid} has exited`));
      }, EXIT_POLL_MS);
    });
    return Promise.race([p, exit]).finally(() => clearInterval(timer));
  }

  private async sampleOnce(mode: SampleMode): Promise<Sample> {
    const start = process.hrtime.bigint();
    let pauseNs = 0n;
    let last: DecodedSample | undefined;
    let attempts = 0;
    const mem = new MiMemory(this.gdb, this.dumps);
    let misses = 0;
    const read = async (callers: boolean): Promise<Snapshot> => {
      const plan = this.plans[callers ? 'consistent' : 'live'];
      const planned = new PlannedMemory(this.wrapMemory ? this.wrapMemory(mem) : mem);
      await planned.prefetch(plan.ranges);
      const snap = await readSnapshot({ mem: planned, layout: this.layout, bias: this.bias, arch: this.arch, callers });
      plan.learn(planned);
      misses += planned.misses;
      return snap;
    };
    if (this.access.frozen) {
      // A core is one stopped snapshot: read it as a consistent sample; retrying cannot help.
      const d = decodeSnapshot(await read(true), this.layout, this.arch, this.rule);
      return { ...d, time: new Date(), meta: { mode: 'consistent', attempts: 1, torn: d.torn, readNs: process.hrtime.bigint() - start, pauseNs: 0n, reads: mem.reads, bytes: mem.bytes, misses } };
    }
    // Cached by the access (read at most every second or so): runs beside the memory reads.
    const processStats = this.access.processStats?.().catch(() => undefined);
    while (attempts < MAX_ATTEMPTS) {
      attempts++;
      try {
        if (mode === 'consistent') {
          const vforking = await this.vforks.settle();
          if (vforking.length > 0) this.log.debug({ children: vforking }, 'vfork children still running; stopping anyway');
          const t0 = process.hrtime.bigint();
          this.stopRequested = true;
          this.beginOwnStop();
          let snap;
          let t1 = t0;
          let t2 = t0;
          try {
            await this.stopAll();
            t1 = process.hrtime.bigint();
            snap = await read(true);
            t2 = process.hrtime.bigint();
          } finally {
            await this.resumeAll();
            this.endOwnStop();
            this.stopRequested = false;
            pauseNs += process.hrtime.bigint() - t0;
          }
          if (this.log.isLevelEnabled('debug')) {
            this.log.debug({ stopNs: String(t1 - t0), readNs: String(t2 - t1), resumeNs: String(process.hrtime.bigint() - t2), reads: mem.reads, misses }, 'consistent sample phases');
          }
          // Decoding is pure CPU work on the bytes read: it runs after the target resumed.
          last = decodeSnapshot(snap, this.layout, this.arch, this.rule);
        } else {
          last = decodeSnapshot(await read(false), this.layout, this.arch, this.rule);
        }
      } catch (err) {
        if (this.replacedBy !== undefined) throw this.replacedError(err);
        if (this.exited || !(await this.access.alive())) throw new GoError(GoErrorCode.TARGET_EXITED, `process ${this.info.pid} has exited`, { cause: err });
        // A live read can follow a pointer the runtime is changing (a stack-cache list, the
        // block pool) into unmapped memory: that is a torn read, so read again.
        if (mode === 'live' && err instanceof GoError && err.code === GoErrorCode.READ_FAILED && attempts < MAX_ATTEMPTS && !this.gdb.isExited) {
          this.log.debug({ attempt: attempts, err: err.message }, 'live read followed a moving pointer; retrying');
          continue;
        }
        throw err;
      }
      // An exec during the read: the bytes may come from the new program's memory.
      this.replacedBy ??= this.access.replacedProgram?.();
      if (this.replacedBy !== undefined) throw this.replacedError();
      if (last.torn.length === 0) break;
      this.log.debug({ attempt: attempts, torn: last.torn }, 'torn snapshot; retrying');
      // Let the writer finish: a few ms are plenty for any of the checked critical sections.
      await new Promise((r) => setTimeout(r, 2 * attempts));
    }
    return {
      ...last!,
      time: new Date(),
      meta: { mode, attempts, torn: last!.torn, readNs: process.hrtime.bigint() - start, pauseNs, reads: mem.reads, bytes: mem.bytes, misses },
      process: await processStats,
    };
  }

  private beginOwnStop(): void {
    this.watcher.beginOwnStop();
    this.guard?.beginOwnStop();
  }

  /** Ends our stop: from here a thread's new stop, once its `*running` came, is not ours. */
  private resumeAll(): Promise<void> {
    this.guard?.ownResumeSent();
    return execContinueAll(this.gdb);
  }

  private endOwnStop(): void {
    this.guard?.endOwnStop();
    this.watcher.endOwnStop();
  }

  /** -exec-interrupt --all (SIGSTOP per thread) and wait until every thread reports stopped. */
  private async stopAll(): Promise<void> {
    await execInterruptAll(this.gdb);
    // A thread that cannot stop soon (uninterruptible sleep) fails this sample rather than
    // holding the others stopped: well under the stop monitor's one second.
    if (!(await this.threads.waitAllStopped(750))) {
      // Fall back to asking gdb; never read from a half-stopped process in consistent mode.
      const running = (await threadInfo(this.gdb)).filter((t) => t.state === 'running');
      if (running.length > 0) {
        // Without a view of the threads (over gdbserver) no stop yet may just be a loaded
        // machine: wait longer for the first one before concluding that gdb lost them.
        const blind = this.access.stoppedThreads === undefined;
        const noneStopped = this.threads.stopped.size === 0 && !(blind && (await this.threads.waitAnyStopped(BLIND_STOP_GRACE_MS)));
        await this.resumeAll().catch(() => undefined);
        // Not one stop reported, yet (where /proc shows it) threads sit in a ptrace stop: gdb
        // has lost track of them and will never resume them. Only a detach frees them.
        if (this.replacedBy !== undefined) throw this.replacedError();
        const held = this.access.stoppedThreads?.();
        if (noneStopped && (held === undefined || held.length > 0)) {
          await this.letGo(`gdb reported no stop after -exec-interrupt --all while the threads of ${this.info.pid} are held (a vfork in flight)`, { running: running.length, held });
          throw this.forcedOffError();
        }
        throw new GoError(GoErrorCode.READ_FAILED, `could not stop all threads of ${this.info.pid} (${running.length} still running)`);
      }
    }
  }

  /**
   * Detaches (the process keeps running) and ends gdb. Every call returns the same promise.
   * A sample in flight first gets to resume the target; then, however the detach went, the
   * target is checked and SIGCONTed if it was left stopped (gdb-mi-notes.md §5).
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // A process that is gone has nothing to detach or resume, and its gdb may never answer
    // again (see endedByExit): it is killed, not asked.
    if (this.exited && this.access.exitedNow?.() === true && !this.gdb.isExited) {
      this.log.debug('the target has exited; ending its gdb without a detach');
      this.gdb.kill('SIGKILL');
    }
    if (this.inFlight) await Promise.race([this.inFlight, new Promise((r) => setTimeout(r, 3000))]);
    this.stopWatching();
    if (this.stopRequested && !this.gdb.isExited) {
      // Interrupted mid-stop: let the SIGSTOPs land, then resume, before detaching.
      await this.threads.waitAllStopped(1000);
      await this.resumeAll().catch(() => undefined);
    }
    const unsure = this.stopRequested;
    this.threads.dispose();
    // A gdb that died by itself traces nothing once reaped: the next attach need not wait
    // for its supervisor's half-second watch of the target (ensureRunning below does that job).
    const died = this.gdb.isExited;
    const closing = this.gdb.close();
    const exit = died ? await Promise.race([this.gdb.whenReaped().then(() => undefined), closing]) : await closing;
    await this.symbols?.dispose();
    this.dumps?.dispose();
    await this.access.ensureRunning(this.log, exit?.requested && !unsure ? 50 : 500);
    await this.access.dispose();
  }
}
