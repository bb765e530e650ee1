// Per-target health, for /healthz and /metrics: is the target read right now, why not, and
// how many errors of each wire code it has had. One entry per target key, kept while a
// session reads the target or the target is pinned (--scrape-attach), so counters survive
// gdb restarts and re-attaches of the same target.
import type { ErrorCode } from '../../protocol/errors.ts';
import type { TargetRef } from '../../protocol/target.ts';
import { toWireError } from './wire-errors.ts';

export interface TargetProblem {
  code: ErrorCode;
  message: string;
}

export class TargetHealth {
  /** attached, read successfully, and not stopped */
  up = false;
  /** why it is not up (undefined while it is, or before the first attach) */
  problem: TargetProblem | undefined;
  readonly errors = new Map<ErrorCode, number>();
  /** threads resumed after stops we did not cause */
  unexpectedStops = 0;

  constructor(readonly ref: TargetRef) {}

  /** A successful read. */
  ok(): void {
    this.up = true;
    this.problem = undefined;
  }

  /** An error reported about the target: counted, and the target is down until the next ok(). */
  fail(err: unknown): TargetProblem {
    const w = toWireError(err);
    this.errors.set(w.code, (this.errors.get(w.code) ?? 0) + 1);
    this.up = false;
    this.problem = w;
    return w;
  }

  /** Not read any more (detached on purpose): down, with no problem to report. */
  idle(): void {
    this.up = false;
  }
}
