// Where mstat's readings come from. A local gdb attach and a bridge subscription behave the
// same to the one-shot and --watch code: readings at an interval, errors as CliError.
import type { Reading } from '../shared/reading.ts';
import type { TargetInfo } from '../../protocol/target.ts';

export interface Source {
  /** the target, as the reader identified it */
  readonly target: TargetInfo;
  /**
   * The next reading: the first at once, later ones one interval apart. Throws a CliError
   * (the target exited: status 1); a transient one (a failed read that the next may not
   * repeat) leaves the source usable.
   */
  next(): Promise<Reading>;
  /** The target's peak RSS for pprof's `# MaxRSS`; only known when it runs on this host. */
  maxRss(): bigint | undefined;
  /** Detaches or unsubscribes; the target keeps running. Idempotent. */
  close(): Promise<void>;
}
