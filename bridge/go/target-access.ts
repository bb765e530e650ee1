// How a target is reached: the parts that differ between a local process, a process on
// another host (gdbserver through an SSH tunnel) and a core file. The reader (target.ts)
// does layouts, sampling and the detach order the same way for all of them.
import type { Logger } from '../log.ts';
import type { ProcessStats } from '../../protocol/process-stats.ts';
import type { MiClient } from '../mi/client.ts';
import type { ElfMachineName } from './binary/elf.ts';
import type { GoVersion } from './binary/go-version.ts';

export type TargetKind = 'local' | 'remote' | 'core';

export interface TargetAccess {
  readonly kind: TargetKind;
  /** for messages: "process 123", "process 123 on host", "core file F" */
  readonly description: string;
  /** Checks made before gdb starts; bad input fails here and nothing is touched. */
  preflight(): Promise<Preflight>;
  /**
   * Called with gdb open (preamble done) and, when `pre.symbolFile` is set, symbols loaded
   * and layouts resolved: makes the process (or core) gdb's inferior with every thread running.
   */
  attach(gdb: MiClient, pre: Preflight, log: Logger): Promise<void>;
  /** The process still exists (a core always does). */
  alive(): Promise<boolean>;
  /**
   * The process has exited (or is a zombie), from a cheap look polled during waits. Absent
   * where only gdb can tell (another host, a core).
   */
  exitedNow?(): boolean;
  /**
   * Thread ids of the process now held (t, T, or a zombie thread), for the stop monitor.
   * Absent where that cannot be seen from here (another host, a core).
   */
  stoppedThreads?(): number[];
  /**
   * The program the process runs now, when it is not the one preflight() saw (the process
   * exec'd); undefined otherwise. Checked after every read, as gdb's own exec notice can
   * come after a read of the new program's memory. Absent where only that notice tells.
   */
  replacedProgram?(): string | undefined;
  /**
   * A vfork child of the target has exec'd or exited (its parent's memory is its own again).
   * Absent where that cannot be seen from here.
   */
  childExeced?(pid: number): boolean;
  /**
   * The process collector's facts (/proc), read at most every so often and cached: the
   * latest known, or undefined when they cannot be read. Absent for a core.
   */
  processStats?(): Promise<ProcessStats | undefined>;
  /** After gdb is gone: make sure the process is not left stopped (State T, no tracer). */
  ensureRunning(log: Logger, settleMs: number): Promise<void>;
  /** Tears down what attach set up beside gdb (tunnels, remote helpers). */
  dispose(): Promise<void>;
  /** A core cannot be stopped or resumed: every sample is the same stopped snapshot. */
  readonly frozen: boolean;
  /** Added to the target's description on the wire (the remote host, the core file). */
  readonly labels: { host?: string; core?: string };
}

/** What is known of a target before gdb starts (each access makes it its own way). */
export interface Preflight {
  pid: number;
  /**
   * What gdb loads symbols from: the user's --exe or /proc/PID/exe. Absent for a remote
   * target whose executable gdb fetches over the link at attach time.
   */
  symbolFile?: string;
  /** The path the process was started from (for display). */
  exePath: string;
  buildId: string;
  version: GoVersion;
  machineName: ElfMachineName;
  /** position-independent (ELF type DYN): addresses need the load bias */
  pie: boolean;
}
