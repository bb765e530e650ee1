// MiClient: token-correlated MI commands over one gdb process. It never hangs (every
// command has a timeout), never confuses an async record with a reply, and rejects every
// pending command with MI_ERR_GDB_EXITED the moment gdb goes away or its pipes break.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { CallSite, MiError, MiErrorCode } from './errors.ts';
import { formatCommand, type MiArg } from './escape.ts';
import { checkGdb, descendantPids, GDB_PID_MARKER, parentPid, resolveGdbPath, spawnGdb, type GdbSpawnOptions, type GdbSubprocess } from './gdb-process.ts';
import { isThreadNotice } from './notices.ts';
import { parseLine } from './parser.ts';
import type { MiAsyncRecord, MiParseErrorRecord, MiRecord, MiResultRecord, MiStreamRecord } from './records.ts';
import type { GdbVersion } from './version.ts';

export interface MiReply {
  record: MiResultRecord;
  /** `~` console output produced while the command ran, fragments in order. */
  console: string[];
  /** `&` log output produced while the command ran. */
  log: string[];
}

export interface GdbExit {
  exitCode: number | undefined;
  signal: string | undefined;
  /** True when gdb exited after our -gdb-exit. */
  requested: boolean;
  /** PIDs gdb was still attached to when it went away (candidates for the watchdog). */
  attachedPids: number[];
}

export interface MiClientEvents {
  /** Raw traffic, for transcripts: a line written to gdb (without newline). */
  'line-out': [string];
  /** Raw traffic: a line read from gdb. */
  'line-in': [string];
  record: [MiRecord];
  async: [MiAsyncRecord];
  stream: [MiStreamRecord];
  'parse-error': [MiParseErrorRecord];
  /** The pipes to gdb broke (its stdout closed, or writing its stdin failed): the client is unusable. */
  'pipe-closed': [string];
  /** gdb's output closed: gdb itself is gone and reaped (see gdbReaped). */
  reaped: [];
  exit: [GdbExit];
}

export interface MiClientOptions extends GdbSpawnOptions {
  log: Logger;
  /** Default per-command timeout. */
  timeoutMs?: number | undefined;
}

export interface SendOptions {
  timeoutMs?: number | undefined;
}

interface Pending {
  token: number;
  line: string;
  name: string;
  site: CallSite;
  console: string[];
  log: string[];
  timer: NodeJS.Timeout | undefined;
  /** Timed out: kept until gdb answers so its output is not attributed to another command. */
  abandoned: boolean;
  resolve: (r: MiReply) => void;
  reject: (e: MiError) => void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** After a broken pipe: how long gdb gets to go by itself before SIGTERM, then SIGKILL. */
const BROKEN_PIPE_GRACE_MS = 2000;

export class MiClient extends EventEmitter<MiClientEvents> {
  readonly version: GdbVersion;
  readonly pid: number;
  private readonly proc: GdbSubprocess;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;
  private exitInfo: GdbExit | undefined;
  private exitRequested = false;
  /** Why the pipes to gdb are unusable, once they are (see onPipeBroken). */
  private broken: string | undefined;
  /** The SIGTERM/SIGKILL fallback, once started (close() and a broken pipe share it). */
  private stopping: Promise<GdbExit> | undefined;
  private readonly inferiors = new Map<string, number>();
  private stdoutParts: string[] = [];
  private outputClosed = false;
  private outQueue: string[] = [];
  readonly exited: Promise<GdbExit>;

  /** Checks `gdb --version`, then spawns gdb in MI mode. No preamble: see openGdb(). */
  static async start(opts: MiClientOptions): Promise<MiClient> {
    const gdbPath = resolveGdbPath(opts.gdbPath);
    const version = await checkGdb(gdbPath);
    const watchFile = join(tmpdir(), `mstat-gdb-${process.pid}-${randomBytes(6).toString('hex')}.pids`);
    const proc = spawnGdb(gdbPath, watchFile, opts);
    if (proc.pid === undefined) {
      const r = await proc;
      throw new MiError(MiErrorCode.GDB_MISSING, `could not start gdb: ${r.message ?? 'unknown error'}`);
    }
    // The supervisor shell reports gdb's own pid on stderr before anything else.
    proc.stderr.setEncoding('utf8');
    const gdbPid = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => done(new MiError(MiErrorCode.GDB_MISSING, 'gdb did not start within 10 s')), 10_000);
      const onData = (chunk: string): void => {
        seen += chunk;
        const m = GDB_PID_MARKER.exec(seen);
        if (m) done(Number(m[1]));
      };
      const onExit = (): void => done(new MiError(MiErrorCode.GDB_MISSING, `gdb exited at once: ${seen.trim().slice(0, 300)}`));
      const done = (r: number | MiError): void => {
        clearTimeout(timer);
        proc.stderr.off('data', onData);
        proc.off('exit', onExit);
        if (typeof r === 'number') resolve(r);
        else reject(r);
      };
      proc.stderr.on('data', onData);
      proc.once('exit', onExit);
    });
    return new MiClient(proc, gdbPid, watchFile, version, opts);
  }

  private readonly watchFile: string;
  private readonly watched = new Set<number>();

  private constructor(proc: GdbSubprocess, gdbPid: number, watchFile: string, version: GdbVersion, opts: MiClientOptions) {
    super();
    this.proc = proc;
    this.pid = gdbPid;
    this.watchFile = watchFile;
    this.version = version;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = opts.log.child({ component: 'mi', gdbPid: this.pid });
    this.log.debug({ version: version.banner }, 'gdb started');

    // A StringDecoder keeps UTF-8 sequences split across chunks intact.
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    proc.stderr.on('data', (chunk: string) => this.log.warn({ stderr: chunk.trimEnd() }, 'gdb stderr'));
    // Either pipe breaking means no reply can ever arrive: fail pending commands now, not at
    // their timeouts. gdb's stdout closes when gdb and its supervisor are gone (the supervisor
    // may still run its watch loop, so the process exit comes later); stdin fails (EPIPE)
    // when nothing reads it any more, though gdb may live on.
    proc.stdin.on('error', (err: NodeJS.ErrnoException) => this.onPipeBroken(`writing to gdb failed (${err.code ?? err.message})`, err));
    proc.stdout.once('close', () => {
      this.outputClosed = true;
      this.onPipeBroken('gdb closed its output');
      this.emit('reaped');
    });
    // The process's exit counts on its own too: a child of gdb (a `shell` command, an ssh)
    // can hold stdout open long after gdb is gone. Replies already in the pipe are still
    // read, for a short while.
    const stdoutEnded = new Promise<void>((r) => proc.stdout.once('close', () => r()));
    this.exited = new Promise<GdbExit>((resolve) => {
      // The supervisor exits right after gdb (within ~0.6 s when it had targets to watch);
      // its exit status is gdb's (128+n when a signal killed gdb).
      const finish = (code: number | undefined, signal: string | undefined): void => {
        resolve(this.onExit(code, signal));
      };
      proc.once('exit', (code, signal) => {
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([stdoutEnded, new Promise<void>((r) => (timer = setTimeout(r, 250)))]).then(() => {
          clearTimeout(timer);
          if (code !== null && code > 128) finish(undefined, signalName(code - 128));
          else finish(code ?? undefined, signal ?? undefined);
          proc.stdout.destroy();
          proc.stderr.destroy();
        });
      });
    });
    proc.catch(() => undefined);
  }

  /**
   * gdb itself is gone and reaped (so no longer tracing anything), though its supervisor may
   * still run its half-second watch of the targets: the supervisor keeps gdb's output open
   * until it has reaped gdb.
   */
  get gdbReaped(): boolean {
    return this.outputClosed || this.exitInfo !== undefined;
  }

  /** Resolves once gdbReaped is true. */
  whenReaped(): Promise<void> {
    if (this.gdbReaped) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        this.off('reaped', done);
        this.off('exit', done);
        r();
      };
      this.once('reaped', done);
      this.once('exit', done);
    });
  }

  /** True once gdb has exited or its pipes closed. */
  get isExited(): boolean {
    return this.exitInfo !== undefined || this.broken !== undefined;
  }

  /**
   * Registers a process we are about to attach to: if gdb dies before a clean detach, its
   * supervisor SIGCONTs it should it be left stopped. Call before attaching.
   */
  watchTarget(pid: number): void {
    this.watched.add(pid);
    this.writeWatchFile();
  }

  /** After a clean detach: the target no longer needs the supervisor's check. */
  unwatchTarget(pid: number): void {
    if (this.watched.delete(pid)) this.writeWatchFile();
  }

  private writeWatchFile(): void {
    try {
      if (this.watched.size === 0) rmSync(this.watchFile, { force: true });
      else writeFileSync(this.watchFile, [...this.watched].join('\n') + '\n');
    } catch (err) {
      this.log.warn({ err }, 'cannot write the target watch file');
    }
  }

  /** PIDs of the processes gdb is attached to, from =thread-group-started/exited. */
  get attachedPids(): number[] {
    return [...this.inferiors.values()];
  }

  /**
   * Sends one MI command. String arguments are always quoted (see escape.ts). Resolves on
   * ^done/^running/^connected/^exit; rejects with a coded MiError created here.
   */
  send(name: string, args: readonly MiArg[] = [], opts: SendOptions = {}): Promise<MiReply> {
    const site = new CallSite(this.send);
    const token = this.nextToken++;
    let line: string;
    try {
      line = formatCommand(token, name, args);
    } catch (err) {
      return Promise.reject(site.attach(err as MiError));
    }
    const display = line.slice(String(token).length);
    if (this.exitInfo || this.broken) {
      const why = this.exitInfo ? 'gdb has exited' : `gdb's pipe closed (${this.broken})`;
      return Promise.reject(site.attach(new MiError(MiErrorCode.GDB_EXITED, `${why}; cannot send ${name}`, { command: display })));
    }
    return new Promise<MiReply>((resolve, reject) => {
      const p: Pending = { token, line: display, name, site, console: [], log: [], timer: undefined, abandoned: false, resolve, reject };
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      p.timer = setTimeout(() => {
        p.abandoned = true;
        p.timer = undefined;
        this.log.warn({ token, command: display, timeoutMs }, 'MI command timed out');
        reject(site.attach(new MiError(MiErrorCode.TIMEOUT, `gdb did not answer ${name} within ${timeoutMs} ms`, { command: display })));
      }, timeoutMs);
      this.pending.set(token, p);
      this.log.trace({ mi: 'out', line }, 'MI >');
      this.emit('line-out', line);
      this.queueLine(line);
    });
  }

  /**
   * Commands sent in the same turn of the event loop (a round of reads) go to gdb in one
   * write: one pipe wakeup for gdb instead of one per command.
   */
  private queueLine(line: string): void {
    this.outQueue.push(line + '\n');
    if (this.outQueue.length > 1) return;
    queueMicrotask(() => {
      const text = this.outQueue.join('');
      this.outQueue = [];
      if (!this.broken && !this.proc.stdin.destroyed) this.proc.stdin.write(text);
    });
  }

  /**
   * Resolves with the first async record matching `pred` that arrives after this call.
   * Set it up before sending the command that causes the record.
   */
  waitForAsync(pred: (r: MiAsyncRecord) => boolean, timeoutMs: number, what = 'async record'): Promise<MiAsyncRecord> {
    const site = new CallSite(this.waitForAsync);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('async', onAsync);
        this.off('exit', onExit);
        this.off('pipe-closed', onExit);
      };
      const onAsync = (r: MiAsyncRecord): void => {
        if (!pred(r)) return;
        cleanup();
        resolve(r);
      };
      const onExit = (): void => {
        cleanup();
        reject(site.attach(new MiError(MiErrorCode.GDB_EXITED, `gdb exited while waiting for ${what}`)));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(site.attach(new MiError(MiErrorCode.TIMEOUT, `no ${what} within ${timeoutMs} ms`)));
      }, timeoutMs);
      if (this.exitInfo || this.broken) return onExit();
      this.on('async', onAsync);
      this.on('exit', onExit);
      this.on('pipe-closed', onExit);
    });
  }

  /**
   * Clean shutdown: detach every inferior (each left running), -gdb-exit, then SIGTERM and
   * finally SIGKILL if gdb does not go within the grace period.
   */
  async close(opts: { graceMs?: number } = {}): Promise<GdbExit> {
    const graceMs = opts.graceMs ?? 3000;
    if (this.exitInfo) return this.exitInfo;
    if (!this.broken) {
      for (const pid of this.attachedPids) {
        try {
          await this.send('-target-detach', [String(pid)], { timeoutMs: graceMs });
          this.unwatchTarget(pid);
        } catch (err) {
          this.log.warn({ err, pid }, 'detach failed during close');
        }
      }
    }
    this.exitRequested = true;
    // -gdb-exit's ^exit may be lost if gdb closes stdout first; the exit itself is what counts.
    if (!this.broken) this.send('-gdb-exit', [], { timeoutMs: graceMs }).catch(() => undefined);
    return this.stopProcess(graceMs);
  }

  /** Sends a signal to gdb itself, not its supervisor (tests use SIGKILL to prove nothing hangs). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      /* already gone */
    }
  }

  /**
   * Waits `graceMs` for gdb to go by itself, then SIGTERMs it, then SIGKILLs it. Its children
   * get the same signals: gdb blocked in a `shell` command acts on SIGTERM (detaching its
   * inferiors) only once that child is gone, and a child left behind would be an orphan
   * holding gdb's stdout open.
   */
  private stopProcess(graceMs: number): Promise<GdbExit> {
    this.stopping ??= (async () => {
      if (await this.exitedWithin(graceMs)) return this.exitInfo!;
      this.log.warn('gdb did not exit within the grace period; sending SIGTERM');
      this.signalGdbTree('SIGTERM');
      if (await this.exitedWithin(graceMs)) return this.exitInfo!;
      this.log.error('gdb ignored SIGTERM; sending SIGKILL');
      this.signalGdbTree('SIGKILL');
      return this.exited;
    })();
    return this.stopping;
  }

  private signalGdbTree(signal: NodeJS.Signals): void {
    // Only while gdb is still our supervisor's child: once it is reaped its pid may be reused.
    if (parentPid(this.pid) !== this.proc.pid) return;
    const children = descendantPids(this.pid);
    this.kill(signal);
    for (const pid of children) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
    if (children.length > 0) this.log.warn({ signal, children }, "signalled gdb's child processes too");
  }

  /**
   * gdb's stdout closed or writing its stdin failed: no reply can arrive any more. Rejects
   * every pending command with MI_ERR_GDB_EXITED, refuses new ones, and makes sure the
   * process goes (stdin EOF makes a gdb that still reads detach and quit; stopProcess does the rest).
   */
  private onPipeBroken(reason: string, err?: Error): void {
    if (this.exitInfo || this.broken) return;
    // A last line without its newline is still a complete record.
    if (this.stdoutParts.length > 0) this.onLine(this.stdoutParts.join(''));
    this.stdoutParts = [];
    this.broken = reason;
    this.rejectAllPending((p) => `gdb's pipe closed (${reason}) before answering ${p.name}`);
    this.log[this.exitRequested ? 'debug' : 'warn']({ err, reason }, 'pipe to gdb closed');
    this.emit('pipe-closed', reason);
    if (!this.proc.stdin.destroyed) this.proc.stdin.end();
    // During close() the exit was asked for and close() runs the fallback itself.
    if (!this.exitRequested) void this.stopProcess(BROKEN_PIPE_GRACE_MS);
  }

  private rejectAllPending(message: (p: Pending) => string): void {
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      if (!p.abandoned) p.reject(p.site.attach(new MiError(MiErrorCode.GDB_EXITED, message(p), { command: p.line })));
    }
    this.pending.clear();
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  private onStdout(chunk: string): void {
    // Long lines (a large memory read is megabytes of hex) arrive in many chunks: keep the
    // pieces and join once, instead of re-copying a growing string per chunk.
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      const line = this.stdoutParts.length > 0 ? this.stdoutParts.join('') + piece : piece;
      this.stdoutParts = [];
      this.onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.stdoutParts.push(chunk.slice(start));
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    if (this.log.isLevelEnabled('trace')) {
      this.log.trace({ mi: 'in', line: line.length > 2000 ? `${line.slice(0, 2000)}…(${line.length} chars)` : line }, 'MI <');
    }
    this.emit('line-in', line);
    const rec = parseLine(line);
    this.emit('record', rec);
    switch (rec.kind) {
      case 'result':
        return this.onResult(rec);
      case 'exec':
      case 'status':
      case 'notify':
        this.trackInferiors(rec);
        this.emit('async', rec);
        return;
      case 'console':
      case 'log':
      case 'target': {
        // Thread notices are unsolicited (see notices.ts): still a stream event, never output.
        if (rec.kind === 'console' && isThreadNotice(rec.text)) {
          this.log.trace({ notice: rec.text.trimEnd() }, 'thread notice');
        } else if (rec.kind !== 'target') {
          const head = this.pending.values().next();
          if (!head.done) head.value[rec.kind].push(rec.text);
        }
        this.emit('stream', rec);
        return;
      }
      case 'prompt':
        return;
      case 'parse-error':
        this.log.warn({ line: rec.line.slice(0, 500), message: rec.message }, 'unparsable MI line');
        this.emit('parse-error', rec);
        return;
    }
  }

  private onResult(rec: MiResultRecord): void {
    const token = rec.token === undefined ? undefined : Number(rec.token);
    const p = token === undefined ? undefined : this.pending.get(token);
    if (!p) {
      // e.g. the second ^running of "attach PID &"; never a reply to another command.
      this.log.debug({ token: rec.token, class: rec.class }, 'result record without a pending command');
      return;
    }
    this.pending.delete(p.token);
    if (p.timer) clearTimeout(p.timer);
    if (p.abandoned) {
      this.log.debug({ token, command: p.line }, 'late reply to a timed-out command dropped');
      return;
    }
    if (rec.class === 'error') {
      const msg = typeof rec.results.msg === 'string' ? rec.results.msg : 'unknown error';
      p.reject(p.site.attach(new MiError(MiErrorCode.COMMAND_FAILED, `${p.name} failed: ${msg}`, { command: p.line, gdbMessage: msg })));
      return;
    }
    p.resolve({ record: rec, console: p.console, log: p.log });
  }

  private trackInferiors(rec: MiAsyncRecord): void {
    if (rec.kind !== 'notify') return;
    const id = rec.results.id;
    if (typeof id !== 'string') return;
    if (rec.class === 'thread-group-started' && typeof rec.results.pid === 'string') {
      this.inferiors.set(id, Number(rec.results.pid));
    } else if (rec.class === 'thread-group-exited') {
      this.inferiors.delete(id);
    }
  }

  private onExit(exitCode: number | undefined, signal: string | undefined): GdbExit {
    if (this.exitInfo) return this.exitInfo;
    if (this.stdoutParts.length > 0) this.onLine(this.stdoutParts.join(''));
    this.stdoutParts = [];
    const info: GdbExit = { exitCode, signal, requested: this.exitRequested, attachedPids: this.attachedPids };
    this.exitInfo = info;
    const how = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
    this.rejectAllPending((p) => `gdb exited (${how}) before answering ${p.name}`);
    const level = info.requested ? 'debug' : 'warn';
    this.log[level]({ exitCode, signal, attachedPids: info.attachedPids }, 'gdb exited');
    this.emit('exit', info);
    return info;
  }
}

function signalName(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}
