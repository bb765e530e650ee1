// One MemStats reading as the clients' formatters see it, whichever way it came: a sample
// taken in-process (the bridge's own Sample has this shape) or a decoded `sample` frame.
// Keeping one shape lets the CLI print a bridge reading exactly as it prints a local one.
import { MEMSTATS_U64_FIELDS, type MemStats, type MemStatsU64Field } from '../../protocol/memstats.ts';
import type { FieldQuality } from '../../protocol/memstats.ts';
import type { ReadingMeta, SampleMessage } from '../../protocol/server-messages.ts';
import type { ProcessStats, RuntimeStats } from '../../protocol/process-stats.ts';

/** An estimated field: the exact value is within ± `bound`. */
export type EstimatedField = Omit<Extract<FieldQuality, { kind: 'estimated' }>, 'kind'>;

/**
 * One reading. The bridge's own Sample is one (clients/cli reads in process with it; the
 * compiler checks that), and a decoded `sample` frame becomes one by readingFromMessage.
 */
export interface Reading {
  time: Date;
  memstats: MemStats;
  /** Fields that are not exact; absent = exact. */
  estimated: Partial<Record<MemStatsU64Field, EstimatedField>>;
  meta: ReadingMeta & {
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
  const { mode, torn, attempts, readNs, pauseNs, reads, bytes, dropped } = m.meta;
  return { time: new Date(m.time), memstats: m.memstats, estimated, meta: { mode, torn, attempts, readNs, pauseNs, reads, bytes, dropped }, runtime: m.runtime, process: m.process };
}
