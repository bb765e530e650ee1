// GdbProcess: one running gdb under its supervisor (gdb-spawn.ts). It knows the pid handshake,
// the watch file of targets the supervisor SIGCONTs, how gdb's whole tree is stopped, and when
// gdb is gone; it speaks no MI. Its pipes are offered as an MiStream (stream.ts).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { MiError, MiErrorCode } from './errors.ts';
import { checkGdb } from './gdb-check.ts';
import { GDB_PID_MARKER, resolveGdbPath, spawnGdb, type GdbSpawnOptions, type GdbSubprocess } from './gdb-spawn.ts';
import { descendantPids, parentPid } from './process-tree.ts';
import type { MiStream } from './stream.ts';
import type { GdbVersion } from './version.ts';

export interface GdbProcessExit {
  exitCode: number | undefined;
  signal: string | undefined;
}

export interface GdbProcessEvents {
  /** gdb's output closed: gdb itself is gone and reaped (see outputClosed). */
  reaped: [];
}

export interface GdbProcessOptions extends GdbSpawnOptions {
  log: Logger;
}

/** How long replies already in the pipe are still read after the process exits. */
const DRAIN_AFTER_EXIT_MS = 250;

export class GdbProcess extends EventEmitter<GdbProcessEvents> {
  /** Resolves once the supervisor has exited and gdb's output is drained (or 250 ms passed). */
  readonly exited: Promise<GdbProcessExit>;
  /** gdb's pipes, for one MI channel. */
  readonly stream: MiStream;
  private exitSeen = false;
  private outputEnded = false;
  private readonly watched = new Set<number>();
  private readonly log: Logger;
  /** The SIGTERM/SIGKILL fallback, once started (shared by every caller of stop()). */
  private stopping: Promise<GdbProcessExit> | undefined;

  /** Checks `gdb --version`, spawns gdb under its supervisor, and waits for gdb's own pid. */
  static async start(opts: GdbProcessOptions): Promise<GdbProcess> {
    const gdbPath = resolveGdbPath(opts.gdbPath);
    const version = await checkGdb(gdbPath);
    const watchFile = join(tmpdir(), `mstat-gdb-${process.pid}-${randomBytes(6).toString('hex')}.pids`);
    const proc = spawnGdb(gdbPath, watchFile, opts);
    if (proc.pid === undefined) {
      const r = await proc;
      throw new MiError(MiErrorCode.GDB_MISSING, `could not start gdb: ${r.message ?? 'unknown error'}`);
    }
    return new GdbProcess(proc, await gdbPidOf(proc), watchFile, version, opts.log);
  }

  private constructor(
    private readonly proc: GdbSubprocess,
    readonly pid: number,
    private readonly watchFile: string,
    readonly version: GdbVersion,
    log: Logger,
  ) {
    super();
    this.log = log.child({ gdbPid: pid });
    // A StringDecoder keeps UTF-8 sequences split across chunks intact.
    proc.stdout.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => this.log.warn({ stderr: chunk.trimEnd() }, 'gdb stderr'));
    // gdb's stdout closes when gdb and its supervisor are gone (the supervisor may still run
    // its watch loop, so the process exit comes later).
    proc.stdout.once('close', () => {
      this.outputEnded = true;
      this.emit('reaped');
    });
    this.stream = pipeStream(proc);
    // The process's exit counts on its own too: a child of gdb (a `shell` command, an ssh)
    // can hold stdout open long after gdb is gone. Replies already in the pipe are still
    // read, for a short while.
    const stdoutEnded = new Promise<void>((r) => proc.stdout.once('close', () => r()));
    this.exited = new Promise<GdbProcessExit>((resolve) => {
      // The supervisor exits right after gdb (within ~0.6 s when it had targets to watch);
      // its exit status is gdb's (128+n when a signal killed gdb).
      proc.once('exit', (code, signal) => {
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([stdoutEnded, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_AFTER_EXIT_MS)))]).then(() => {
          clearTimeout(timer);
          this.exitSeen = true;
          if (code !== null && code > 128) resolve({ exitCode: undefined, signal: signalName(code - 128) });
          else resolve({ exitCode: code ?? undefined, signal: signal ?? undefined });
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
  get outputClosed(): boolean {
    return this.outputEnded;
  }

  /** True once `exited` has resolved. */
  get hasExited(): boolean {
    return this.exitSeen;
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
   * holding gdb's stdout open. The first caller's grace applies; later callers share it.
   */
  stop(graceMs: number): Promise<GdbProcessExit> {
    this.stopping ??= (async () => {
      const first = await this.exitedWithin(graceMs);
      if (first) return first;
      this.log.warn('gdb did not exit within the grace period; sending SIGTERM');
      this.signalTree('SIGTERM');
      const second = await this.exitedWithin(graceMs);
      if (second) return second;
      this.log.error('gdb ignored SIGTERM; sending SIGKILL');
      this.signalTree('SIGKILL');
      return this.exited;
    })();
    return this.stopping;
  }

  private signalTree(signal: NodeJS.Signals): void {
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

  private async exitedWithin(ms: number): Promise<GdbProcessExit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
    const done = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return done;
  }
}

/** The supervisor shell reports gdb's own pid on stderr before anything else. */
function gdbPidOf(proc: GdbSubprocess): Promise<number> {
  proc.stderr.setEncoding('utf8');
  return new Promise<number>((resolve, reject) => {
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
}

/**
 * gdb's pipes as an MiStream. Either pipe breaking means no reply can ever arrive: stdout
 * closes when gdb and its supervisor are gone; stdin fails (EPIPE) when nothing reads it
 * any more, though gdb may live on.
 */
function pipeStream(proc: GdbSubprocess): MiStream {
  return {
    write: (text) => {
      if (!proc.stdin.destroyed) proc.stdin.write(text);
    },
    end: () => {
      if (!proc.stdin.destroyed) proc.stdin.end();
    },
    onData: (listener) => proc.stdout.on('data', listener),
    onClose: (listener) => {
      let closed = false;
      const once = (reason: string, err?: Error): void => {
        if (closed) return;
        closed = true;
        listener(reason, err);
      };
      proc.stdin.on('error', (err: NodeJS.ErrnoException) => once(`writing to gdb failed (${err.code ?? err.message})`, err));
      proc.stdout.once('close', () => once('gdb closed its output'));
    },
  };
}

function signalName(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}
