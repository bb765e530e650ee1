// A process on this host: `attach PID &` (non-stop, stops no thread), /proc for liveness,
// and the local SIGCONT watchdog.
import { readlinkSync, statSync } from 'node:fs';
import type { Logger } from '../log.ts';
import type { MiClient } from '../mi/client.ts';
import { attachInBackground } from '../mi/commands/target.ts';
import { MiError } from '../mi/errors.ts';
import { forkedNotExeced, processGone, stoppedThreadIds } from './proc/proc-status.ts';
import { ProcessStatsCache, readLocalProcFiles } from './proc/process-stats.ts';
import type { ProcessStats } from '../../protocol/process-stats.ts';
import { ensureRunning, processAlive } from './watchdog.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import { PTRACE_HINT, preflightLocal } from './local-preflight.ts';
import type { Preflight, TargetAccess } from '../go/target-access.ts';

export class LocalAccess implements TargetAccess {
  readonly kind = 'local' as const;
  readonly frozen = false;
  readonly labels = {};
  readonly description: string;

  constructor(
    readonly pid: number,
    private readonly exe?: string,
  ) {
    this.description = `process ${pid}`;
  }

  /** /proc/PID/exe's device and inode when preflight ran */
  private image: string | undefined;
  /** /proc read at most once a second, however often the target is sampled */
  private readonly procStats = new ProcessStatsCache(() => readLocalProcFiles(this.pid), 1000, true);

  processStats(): Promise<ProcessStats | undefined> {
    return this.procStats.get();
  }

  preflight(): Promise<Preflight> {
    this.image = this.imageId();
    return preflightLocal(this.pid, this.exe);
  }

  private imageId(): string | undefined {
    try {
      const st = statSync(`/proc/${this.pid}/exe`);
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  }

  childExeced(pid: number): boolean {
    return !forkedNotExeced(pid);
  }

  replacedProgram(): string | undefined {
    const now = this.imageId();
    if (now === undefined || this.image === undefined || now === this.image) return undefined;
    try {
      return readlinkSync(`/proc/${this.pid}/exe`);
    } catch {
      return 'another program';
    }
  }

  async attach(gdb: MiClient): Promise<void> {
    try {
      await attachInBackground(gdb, this.pid);
    } catch (err) {
      throw attachError(err, this.pid);
    }
  }

  async alive(): Promise<boolean> {
    return processAlive(this.pid);
  }

  exitedNow(): boolean {
    return processGone(this.pid);
  }

  stoppedThreads(): number[] {
    return stoppedThreadIds(this.pid);
  }

  async ensureRunning(log: Logger, settleMs: number): Promise<void> {
    await ensureRunning(this.pid, log, settleMs);
  }

  async dispose(): Promise<void> {}
}

/** gdb's attach failures as coded errors with the fix in the message. */
export function attachError(err: unknown, pid: number, where = ''): unknown {
  const msg = err instanceof MiError ? (err.gdbMessage ?? err.message) : String(err);
  if (/Operation not permitted|ptrace:.*(denied|permitted)/i.test(msg)) {
    return new GoError(GoErrorCode.PTRACE_DENIED, `ptrace not permitted on process ${pid}${where}: ${PTRACE_HINT}`, { cause: err });
  }
  if (/No such process/i.test(msg)) return new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pid}${where} exited before it could be attached`, { cause: err });
  return err;
}
