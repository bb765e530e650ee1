// One Go target (a local process, a remote one, or a core file) read through one gdb:
// preflight, layouts (cached by build ID), non-stop attach without stopping anything,
// samples in live or consistent mode, and a detach on every exit path. What differs between
// the kinds of target lives in a TargetAccess.
import type { Logger } from '../log.ts';
import type { MiClient } from '../mi/client.ts';
import { dataEvaluateExpression, dataReadMemoryBytes } from '../mi/commands/data.ts';
import { execContinueAll, execInterruptAll } from '../mi/commands/exec.ts';
import { fileExecAndSymbols } from '../mi/commands/file.ts';
import { openGdb } from '../mi/open.ts';
import { archFor, type ArchConstants } from './arch.ts';
import { resolveDecoderLayout, type DecoderLayout } from './decoder-layout.ts';
import { GoError, GoErrorCode } from './errors.ts';
import type { HeadroomRule } from './heap-goal.ts';
import { loadLayout, saveLayout } from './layout-cache.ts';
import { LayoutResolver } from './layout.ts';
import { decodeSnapshot, type DecodedSample } from './memstats.ts';
import { MiMemory } from './memory.ts';
import { LocalAccess } from './local-access.ts';
import type { Preflight } from './preflight.ts';
import { readSnapshot } from './read.ts';
import type { TargetAccess } from './target-access.ts';
import { ThreadTracker } from './threads.ts';

export type SampleMode = 'live' | 'consistent';

export interface SampleMeta {
  mode: SampleMode;
  /** attempts taken (a torn read is retried) */
  attempts: number;
  /** why the returned snapshot is torn; empty if it is consistent */
  torn: string[];
  /** wall time of the sample */
  readNs: bigint;
  /** consistent mode: time between stopping and resuming the target */
  pauseNs: bigint;
  reads: number;
  bytes: number;
}

export interface Sample extends DecodedSample {
  meta: SampleMeta;
  time: Date;
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
}

export interface OpenTargetOptions extends ReaderOptions {
  pid: number;
  exe?: string | undefined;
}

const MAX_ATTEMPTS = 5;

export class TargetReader {
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

  private constructor(
    private readonly access: TargetAccess,
    private readonly gdb: MiClient,
    private readonly layout: DecoderLayout,
    private readonly pre: Preflight,
    private readonly arch: ArchConstants,
    private readonly rule: HeadroomRule,
    private readonly bias: bigint,
    private readonly threads: ThreadTracker,
    private readonly log: Logger,
    cached: boolean,
    layoutCommands: number,
  ) {
    this.info = { pid: pre.pid, exe: pre.exePath, goVersion: layout.buildVersion, buildId: pre.buildId, ...access.labels };
    this.layoutCached = cached;
    this.layoutCommands = layoutCommands;
    gdb.on('async', (r) => {
      // A detach also reports thread-group-exited, but without an exit code.
      if (r.kind === 'notify' && r.class === 'thread-group-exited' && r.results['exit-code'] !== undefined) this.exited = true;
    });
  }

  static async open(access: TargetAccess, opts: ReaderOptions): Promise<TargetReader> {
    const log = opts.log.child({ component: 'target', target: access.description });
    const pre = await access.preflight();
    const arch = archFor(pre.machineName);
    if (!arch) throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `architecture ${pre.machineName} is not supported yet (amd64 and arm64 are)`);
    let gdb: MiClient;
    try {
      gdb = await openGdb({ log, gdbPath: opts.gdbPath });
    } catch (err) {
      await access.dispose();
      throw err;
    }
    const threads = new ThreadTracker(gdb);
    try {
      let layout = await loadLayout(pre.buildId, opts.cacheDir);
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
        await fileExecAndSymbols(gdb, pre.symbolFile);
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
      return new TargetReader(access, gdb, layout, pre, arch, rule, bias, threads, log, cached, commands);
    } catch (err) {
      threads.dispose();
      const exit = await gdb.close();
      await access.ensureRunning(log, exit.requested ? 50 : 500);
      await access.dispose();
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

  /** One sample. A torn snapshot is retried; after MAX_ATTEMPTS it is returned flagged. */
  sample(mode: SampleMode = 'live'): Promise<Sample> {
    if (this.closing) return Promise.reject(new GoError(GoErrorCode.TARGET_EXITED, 'target is closed'));
    const p = this.sampleOnce(mode);
    this.inFlight = p.catch(() => undefined);
    return p;
  }

  private async sampleOnce(mode: SampleMode): Promise<Sample> {
    const start = process.hrtime.bigint();
    let pauseNs = 0n;
    let last: DecodedSample | undefined;
    let attempts = 0;
    const mem = new MiMemory(this.gdb);
    const ctx = { mem, layout: this.layout, bias: this.bias, arch: this.arch };
    if (this.access.frozen) {
      // A core is one stopped snapshot: read it as a consistent sample; retrying cannot help.
      const d = decodeSnapshot(await readSnapshot({ ...ctx, callers: true }), this.layout, this.arch, this.rule);
      return { ...d, time: new Date(), meta: { mode: 'consistent', attempts: 1, torn: d.torn, readNs: process.hrtime.bigint() - start, pauseNs: 0n, reads: mem.reads, bytes: mem.bytes } };
    }
    while (attempts < MAX_ATTEMPTS) {
      attempts++;
      try {
        if (mode === 'consistent') {
          const t0 = process.hrtime.bigint();
          this.stopRequested = true;
          let snap;
          let t1 = t0;
          let t2 = t0;
          try {
            await this.stopAll();
            t1 = process.hrtime.bigint();
            snap = await readSnapshot({ ...ctx, callers: true });
            t2 = process.hrtime.bigint();
          } finally {
            await execContinueAll(this.gdb);
            this.stopRequested = false;
            pauseNs += process.hrtime.bigint() - t0;
          }
          if (this.log.isLevelEnabled('debug')) {
            this.log.debug({ stopNs: String(t1 - t0), readNs: String(t2 - t1), resumeNs: String(process.hrtime.bigint() - t2), reads: mem.reads }, 'consistent sample phases');
          }
          // Decoding is pure CPU work on the bytes read: it runs after the target resumed.
          last = decodeSnapshot(snap, this.layout, this.arch, this.rule);
        } else {
          last = decodeSnapshot(await readSnapshot(ctx), this.layout, this.arch, this.rule);
        }
      } catch (err) {
        if (this.exited || !(await this.access.alive())) throw new GoError(GoErrorCode.TARGET_EXITED, `process ${this.info.pid} has exited`, { cause: err });
        // A live read can follow a pointer the runtime is changing (a stack-cache list, the
        // block pool) into unmapped memory: that is a torn read, so read again.
        if (mode === 'live' && err instanceof GoError && err.code === GoErrorCode.READ_FAILED && attempts < MAX_ATTEMPTS && !this.gdb.isExited) {
          this.log.debug({ attempt: attempts, err: err.message }, 'live read followed a moving pointer; retrying');
          continue;
        }
        throw err;
      }
      if (last.torn.length === 0) break;
      this.log.debug({ attempt: attempts, torn: last.torn }, 'torn snapshot; retrying');
      // Let the writer finish: a few ms are plenty for any of the checked critical sections.
      await new Promise((r) => setTimeout(r, 2 * attempts));
    }
    return {
      ...last!,
      time: new Date(),
      meta: { mode, attempts, torn: last!.torn, readNs: process.hrtime.bigint() - start, pauseNs, reads: mem.reads, bytes: mem.bytes },
    };
  }

  /** -exec-interrupt --all (SIGSTOP per thread) and wait until every thread reports stopped. */
  private async stopAll(): Promise<void> {
    await execInterruptAll(this.gdb);
    if (!(await this.threads.waitAllStopped(2000))) {
      // Fall back to asking gdb; never read from a half-stopped process in consistent mode.
      const r = await this.gdb.send('-thread-info');
      const threads = r.record.results.threads;
      const running = Array.isArray(threads) ? threads.filter((t) => typeof t === 'object' && !Array.isArray(t) && (t as Record<string, unknown>).state === 'running') : [];
      if (running.length > 0) {
        await execContinueAll(this.gdb).catch(() => undefined);
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
    if (this.inFlight) await Promise.race([this.inFlight, new Promise((r) => setTimeout(r, 3000))]);
    if (this.stopRequested && !this.gdb.isExited) {
      // Interrupted mid-stop: let the SIGSTOPs land, then resume, before detaching.
      await this.threads.waitAllStopped(1000);
      await execContinueAll(this.gdb).catch(() => undefined);
    }
    const unsure = this.stopRequested;
    this.threads.dispose();
    const exit = await this.gdb.close();
    await this.access.ensureRunning(this.log, exit.requested && !unsure ? 50 : 500);
    await this.access.dispose();
  }
}

/** A process on this host (the reader with a LocalAccess). */
export type LocalTarget = TargetReader;
export const LocalTarget = {
  open: (opts: OpenTargetOptions): Promise<TargetReader> => TargetReader.open(new LocalAccess(opts.pid, opts.exe), opts),
};
