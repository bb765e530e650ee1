// What a Go program's client_golang collectors report beside MemStats, read from outside: the
// runtime's own counters (Go collector) and the kernel's view of the process (process
// collector, /proc). Optional in a sample: a core file has no /proc, an older bridge neither.
import { z } from 'zod';
import { Uint64 } from './codecs.ts';

/** Runtime globals read with the sample (in the same stop in consistent mode). */
export const RuntimeStatsSchema = z.object({
  /** runtime.NumGoroutine(); absent when this runtime's layout is not known */
  goroutines: z.number().int().min(1).optional(),
  /** Ms the runtime created and still has (runtime.ThreadCreateProfile's count) */
  threads: z.number().int().min(0).optional(),
  /** runtime.GOMAXPROCS(0) */
  gomaxprocs: z.number().int().min(1),
  /** GOGC; -1 when the GC is off */
  gcPercent: z.number().int(),
  /** GOMEMLIMIT in bytes (math.MaxInt64 when none is set) */
  memoryLimit: Uint64,
});
export type RuntimeStats = z.output<typeof RuntimeStatsSchema>;

/** /proc facts, computed as github.com/prometheus/procfs does for client_golang. */
export const ProcessStatsSchema = z.object({
  /** (utime + stime) / 100: procfs' fixed USER_HZ */
  cpuSeconds: z.number().min(0),
  residentBytes: Uint64,
  virtualBytes: Uint64,
  /** soft RLIMIT_AS; 2^64−1 when unlimited */
  virtualMaxBytes: Uint64,
  openFds: z.number().int().min(0),
  /** soft RLIMIT_NOFILE; 2^64−1 when unlimited */
  maxFds: Uint64,
  /** boot time + start time / 100, in Unix seconds */
  startTimeSeconds: z.number().min(0),
  /** IpExt InOctets/OutOctets of the process's network namespace; absent when unreadable */
  networkReceiveBytes: Uint64.optional(),
  networkTransmitBytes: Uint64.optional(),
  /** when these were read (they may be older than the sample: /proc is read at most every second) */
  time: z.iso.datetime({ offset: true }),
});
export type ProcessStats = z.output<typeof ProcessStatsSchema>;
