// Readings through our own gdb: a process on this host (attached non-stop), one on another
// host over ssh, or a core file.
import { isBridgeError } from '../../bridge/errors.ts';
import { GoErrorCode } from '../../bridge/go/errors.ts';
import { TargetReader } from '../../bridge/go/target.ts';
import type { Logger } from '../../bridge/log.ts';
import { accessFor } from '../../bridge/access/access-for.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import type { Reading } from '../shared/reading.ts';
import type { TargetInfo, TargetRef } from '../../protocol/target.ts';
import { CliError, EXIT, exitForLocalCode } from './exit-codes.ts';
import type { Source } from './source.ts';

export interface LocalSourceOptions {
  /** a local process (with `exe`: an unstripped copy of its executable), a remote one, or a core */
  target: TargetRef;
  /** passed to ssh as -F FILE for a remote target */
  sshConfig?: string | undefined;
  mode: 'live' | 'consistent';
  intervalMs: number;
  log: Logger;
}

/** An engine error as the CLI reports it. */
export function localCliError(err: unknown, transient = false): CliError {
  if (err instanceof CliError) return err;
  if (isBridgeError(err)) return new CliError(exitForLocalCode(err.code), err.message, transient);
  return new CliError(EXIT.failed, err instanceof Error ? err.message : String(err), transient);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class LocalSource implements Source {
  /** when the next reading is due (ms epoch); 0 before the first */
  private due = 0;

  constructor(
    private t: TargetReader,
    private readonly opts: LocalSourceOptions,
  ) {}

  get target(): TargetInfo {
    return this.t.info;
  }

  /**
   * The process exec'd another program, or was detached by force: attach again and read what
   * it runs now (after an exec, an --exe given for the old program does not apply). A
   * transient notice says so.
   */
  private async reopen(err: unknown): Promise<CliError> {
    const old = this.t;
    await old.close();
    const ref = this.opts.target;
    try {
      this.t = await TargetReader.open(accessFor('exe' in ref && !('core' in ref) ? { ...ref, exe: undefined } : ref, { sshConfig: this.opts.sshConfig, log: this.opts.log }), { log: this.opts.log });
    } catch (openErr) {
      throw localCliError(openErr);
    }
    this.due = 0; // the new program's first reading comes at once
    return new CliError(EXIT.failed, `${(err as Error).message}: now reading ${this.t.info.exe} (${this.t.info.goVersion})`, true);
  }

  async next(): Promise<Reading> {
    const now = Date.now();
    if (this.due > now) await sleep(this.due - now);
    // Drift-free: slots follow each other; slots missed by a slow read are skipped.
    this.due = this.due === 0 ? Date.now() + this.opts.intervalMs : this.due + this.opts.intervalMs;
    while (this.due <= Date.now()) this.due += this.opts.intervalMs;
    try {
      return await this.t.sample(this.opts.mode);
    } catch (err) {
      // exec'd, or let go by force (gdb lost its threads): attach again and go on.
      if (isBridgeError(err) && (err.code === GoErrorCode.TARGET_REPLACED || err.code === GoErrorCode.GDB_LOST_THREADS)) throw await this.reopen(err);
      // A read that failed while gdb is fine (memory moved under a live read) may not recur.
      throw localCliError(err, isBridgeError(err) && err.code === GoErrorCode.READ_FAILED && this.t.gdbAlive);
    }
  }

  maxRss(): bigint | undefined {
    const ref = this.opts.target;
    if ('core' in ref || 'ssh' in ref) return undefined; // no /proc of it here
    const kib = readProcStatus(ref.pid)?.vmHwmKiB;
    return kib === undefined ? undefined : BigInt(kib) * 1024n;
  }

  close(): Promise<void> {
    return this.t.close();
  }
}

/** Attaches (or opens the core); errors as CliError with the documented status. */
export async function openLocal(opts: LocalSourceOptions): Promise<Source> {
  for (let attempt = 1; ; attempt++) {
    try {
      const access = accessFor(opts.target, { sshConfig: opts.sshConfig, log: opts.log });
      return new LocalSource(await TargetReader.open(access, { log: opts.log }), opts);
    } catch (err) {
      // The process exec'd while it was being attached: attach to the new program.
      if (isBridgeError(err) && err.code === GoErrorCode.TARGET_REPLACED && attempt < 3) continue;
      throw localCliError(err);
    }
  }
}
