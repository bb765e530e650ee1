// Readings from a Go process on this host: our own gdb, attached non-stop.
import { readFileSync } from 'node:fs';
import { isBridgeError } from '../../bridge/errors.ts';
import { GoErrorCode } from '../../bridge/go/errors.ts';
import { LocalTarget } from '../../bridge/go/target.ts';
import type { Logger } from '../../bridge/log.ts';
import type { Reading } from '../../clients/shared/reading.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import { CliError, EXIT, exitForLocalCode } from './exit-codes.ts';
import type { Source } from './source.ts';

export interface LocalSourceOptions {
  pid: number;
  exe: string | undefined;
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
    private readonly t: LocalTarget,
    private readonly opts: LocalSourceOptions,
  ) {}

  get target(): TargetInfo {
    return this.t.info;
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
      // A read that failed while gdb is fine (memory moved under a live read) may not recur.
      throw localCliError(err, isBridgeError(err) && err.code === GoErrorCode.READ_FAILED && this.t.gdbAlive);
    }
  }

  maxRss(): bigint | undefined {
    try {
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.opts.pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : BigInt(kb) * 1024n;
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return this.t.close();
  }
}

/** Attaches (errors as CliError with the documented status). */
export async function openLocal(opts: LocalSourceOptions): Promise<Source> {
  try {
    return new LocalSource(await LocalTarget.open({ pid: opts.pid, exe: opts.exe, log: opts.log }), opts);
  } catch (err) {
    throw localCliError(err);
  }
}
