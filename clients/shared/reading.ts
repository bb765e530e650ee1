// One MemStats reading as the clients' formatters see it, whichever way it came: a sample
// taken in-process (the bridge's own Sample has this shape) or a decoded `sample` frame.
// Keeping one shape lets the CLI print a bridge reading exactly as it prints a local one.
import { MEMSTATS_U64_FIELDS, type MemStats, type MemStatsU64Field } from '../../protocol/memstats.ts';
import type { SampleMode } from '../../protocol/client-messages.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import type { ProcessStats, RuntimeStats } from '../../protocol/process-stats.ts';

export interface EstimatedField {
  /** the exact value is within ± this many bytes */
  bound: bigint;
  reason: string;
}

export interface Reading {
  time: Date;
  memstats: MemStats;
  /** Fields that are not exact; absent = exact. */
  estimated: Partial<Record<MemStatsU64Field, EstimatedField>>;
  meta: {
    mode: SampleMode;
    /** why the snapshot is still torn after its retries; empty when consistent */
    torn: readonly string[];
    attempts: number;
    readNs: bigint;
    pauseNs: bigint;
    reads: number;
    /** samples the bridge skipped for this subscriber (slow connection) */
    dropped?: number;
  };
  /** the runtime's counters beside MemStats; absent from an older bridge */
  runtime?: RuntimeStats | undefined;
  /** the process as /proc shows it; absent for a core or from an older bridge */
  process?: ProcessStats | undefined;
}

const U64_FIELDS: ReadonlySet<string> = new Set(MEMSTATS_U64_FIELDS);

/** A decoded `sample` frame as a Reading. */
export function readingFromMessage(m: SampleMessage): Reading {
  const estimated: Reading['estimated'] = {};
  for (const [field, q] of Object.entries(m.meta.estimated)) {
    // Only uint64 fields can be estimated; anything else is a newer bridge's addition.
    if (q.kind === 'estimated' && U64_FIELDS.has(field)) estimated[field as MemStatsU64Field] = { bound: q.bound, reason: q.reason };
  }
  const { mode, torn, attempts, readNs, pauseNs, reads, dropped } = m.meta;
  return { time: new Date(m.time), memstats: m.memstats, estimated, meta: { mode, torn, attempts, readNs, pauseNs, reads, dropped }, runtime: m.runtime, process: m.process };
}
