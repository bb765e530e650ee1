// When a long-lived gdb is replaced by a fresh one: after a number of samples, or once its RSS
// has grown by a bound since it attached (issue 16: a gdb was seen growing ~1.4 KB per
// consistent sample on one host). The session does the swap (detach, attach again warm);
// this only decides, and reads /proc at most once a second to do so.
import { readFileSync } from 'node:fs';

export interface RecyclePolicy {
  /** replace after this many samples by one gdb; 0 = never */
  samples: number;
  /** replace once gdb's RSS exceeds its RSS after the first sample by this many MiB; 0 = never */
  growthMiB: number;
}

export const DEFAULT_RECYCLE: RecyclePolicy = { samples: 0, growthMiB: 128 };

const RSS_LOOK_MS = 1000;

/** Resident set size of a process in KiB, or undefined when it cannot be read. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class RecycleClock {
  private gdbPid: number | undefined;
  private samples = 0;
  /** RSS after this gdb's first sample (layouts and symbols loaded) */
  private baseKiB: number | undefined;
  private lastLook = 0;

  constructor(
    private readonly policy: RecyclePolicy,
    /** undefined: gdb runs elsewhere or its /proc is not ours to read (RSS bound off) */
    private readonly rssOf: (pid: number) => number | undefined = rssKiB,
  ) {}

  /** A new gdb: counting starts over. */
  attached(gdbPid: number | undefined): void {
    this.gdbPid = gdbPid;
    this.samples = 0;
    this.baseKiB = undefined;
    this.lastLook = 0;
  }

  /** Call after each successful sample; returns why this gdb should be replaced now, if it should. */
  sampled(now = Date.now()): string | undefined {
    this.samples++;
    if (this.policy.samples > 0 && this.samples >= this.policy.samples) return `${this.samples} samples by this gdb`;
    if (this.policy.growthMiB <= 0 || this.gdbPid === undefined) return undefined;
    if (this.baseKiB !== undefined && now - this.lastLook < RSS_LOOK_MS) return undefined;
    this.lastLook = now;
    const kib = this.rssOf(this.gdbPid);
    if (kib === undefined) return undefined;
    if (this.baseKiB === undefined) {
      this.baseKiB = kib;
      return undefined;
    }
    const grown = kib - this.baseKiB;
    return grown > this.policy.growthMiB * 1024 ? `gdb RSS grew by ${(grown / 1024).toFixed(0)} MiB (to ${(kib / 1024).toFixed(0)} MiB) over ${this.samples} samples` : undefined;
  }
}
