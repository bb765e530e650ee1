// MiClient: one gdb, ready for MI. A GdbProcess (the process, its supervisor, its tree)
// with an MiChannel (tokens, timeouts, records) over its pipes. What is only about the pair
// lives here: closing (detach every inferior, -gdb-exit, then the process fallback), and
// stopping the process when the pipes break.
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import { MiChannel, type MiChannelEvents, type MiSender } from './channel.ts';
import { GdbProcess, type GdbProcessExit, type GdbProcessOptions } from './gdb-process.ts';
import type { GdbVersion } from './version.ts';

export type { MiReply, SendOptions, MiSender } from './channel.ts';

export interface GdbExit extends GdbProcessExit {
  /** True when gdb exited after our -gdb-exit. */
  requested: boolean;
  /** PIDs gdb was still attached to when it went away (candidates for the watchdog). */
  attachedPids: number[];
}

export interface MiClientEvents extends Omit<MiChannelEvents, 'shut'> {
  /** gdb's output closed: gdb itself is gone and reaped (see gdbReaped). */
  reaped: [];
  exit: [GdbExit];
}

export interface MiClientOptions extends GdbProcessOptions {
  /** Default per-command timeout. */
  timeoutMs?: number | undefined;
}

/** After a broken pipe: how long gdb gets to go by itself before SIGTERM, then SIGKILL. */
const BROKEN_PIPE_GRACE_MS = 2000;
const FORWARDED = ['line-out', 'line-in', 'record', 'async', 'stream', 'parse-error', 'pipe-closed'] as const;

export class MiClient extends EventEmitter<MiClientEvents> implements MiSender {
  readonly exited: Promise<GdbExit>;
  /** One MI command (see MiChannel.send). */
  readonly send: MiChannel['send'];
  /** The first matching async record after this call (see MiChannel.waitForAsync). */
  readonly waitForAsync: MiChannel['waitForAsync'];
  private readonly log: Logger;
  private readonly channel: MiChannel;
  private exitInfo: GdbExit | undefined;
  private exitRequested = false;

  /** Checks `gdb --version`, then spawns gdb in MI mode. No preamble: see openGdb(). */
  static async start(opts: MiClientOptions): Promise<MiClient> {
    const log = opts.log.child({ component: 'mi' });
    const proc = await GdbProcess.start({ ...opts, log });
    return new MiClient(proc, opts);
  }

  private constructor(
    private readonly proc: GdbProcess,
    opts: MiClientOptions,
  ) {
    super();
    this.log = opts.log.child({ component: 'mi', gdbPid: proc.pid });
    this.log.debug({ version: proc.version.banner }, 'gdb started');
    this.channel = new MiChannel(proc.stream, { log: this.log, timeoutMs: opts.timeoutMs });
    this.send = this.channel.send.bind(this.channel);
    this.waitForAsync = this.channel.waitForAsync.bind(this.channel);
    for (const name of FORWARDED) this.channel.on(name, (...args: unknown[]) => (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args));
    this.channel.on('pipe-closed', (reason) => this.onPipeBroken(reason));
    proc.on('reaped', () => this.emit('reaped'));
    this.exited = proc.exited.then((r) => this.onExit(r));
  }

  get version(): GdbVersion {
    return this.proc.version;
  }

  /** gdb's own pid (not its supervisor's). */
  get pid(): number {
    return this.proc.pid;
  }

  /**
   * gdb itself is gone and reaped (so no longer tracing anything), though its supervisor may
   * still run its half-second watch of the targets.
   */
  get gdbReaped(): boolean {
    return this.proc.outputClosed || this.exitInfo !== undefined;
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
    return this.exitInfo !== undefined || !this.channel.isOpen;
  }

  /** PIDs of the processes gdb is attached to, from =thread-group-started/exited. */
  get attachedPids(): number[] {
    return this.channel.attachedPids;
  }

  /** See GdbProcess.watchTarget: call before attaching. */
  watchTarget(pid: number): void {
    this.proc.watchTarget(pid);
  }

  /** After a clean detach: the target no longer needs the supervisor's check. */
  unwatchTarget(pid: number): void {
    this.proc.unwatchTarget(pid);
  }

  /** Sends a signal to gdb itself, not its supervisor (tests use SIGKILL to prove nothing hangs). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.proc.kill(signal);
  }

  /**
   * Clean shutdown: detach every inferior (each left running), -gdb-exit, then SIGTERM and
   * finally SIGKILL if gdb does not go within the grace period.
   */
  async close(opts: { graceMs?: number } = {}): Promise<GdbExit> {
    const graceMs = opts.graceMs ?? 3000;
    if (this.exitInfo) return this.exitInfo;
    if (this.channel.isOpen) {
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
    if (this.channel.isOpen) this.send('-gdb-exit', [], { timeoutMs: graceMs }).catch(() => undefined);
    await this.proc.stop(graceMs);
    return this.exited;
  }

  /**
   * No reply can arrive any more (the channel has rejected every pending command): make sure
   * the process goes. The stream's EOF makes a gdb that still reads detach and quit; stop()
   * does the rest. During close() the exit was asked for and close() runs the fallback itself.
   */
  private onPipeBroken(reason: string): void {
    this.log[this.exitRequested ? 'debug' : 'warn']({ reason }, 'pipe to gdb closed');
    if (!this.exitRequested) void this.proc.stop(BROKEN_PIPE_GRACE_MS);
  }

  private onExit(r: GdbProcessExit): GdbExit {
    if (this.exitInfo) return this.exitInfo;
    const how = r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
    // Replies and notices already received count first (a last thread-group-exited, say).
    this.channel.shutDown('gdb has exited', `gdb exited (${how})`);
    const info: GdbExit = { ...r, requested: this.exitRequested, attachedPids: this.attachedPids };
    this.exitInfo = info;
    this.log[info.requested ? 'debug' : 'warn']({ exitCode: r.exitCode, signal: r.signal, attachedPids: info.attachedPids }, 'gdb exited');
    this.emit('exit', info);
    return info;
  }
}
