// One reading on stdout in the chosen format, and what is not exact about it on stderr.
import { formatMemStatsJson, formatMemStatsPprof, formatMemStatsText } from '../shared/memstats-format.ts';
import { renderTargetMetrics } from '../shared/prometheus-format.ts';
import type { Reading } from '../shared/reading.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import type { ReadFormat } from './args.ts';

/** The stdout text of one reading, newline-terminated. */
export function formatReading(r: Reading, target: TargetInfo, format: ReadFormat, maxRss: bigint | undefined): string {
  switch (format) {
    case 'json':
      return formatMemStatsJson(r.memstats) + '\n';
    case 'text':
      return formatMemStatsText(r.memstats);
    case 'pprof':
      return formatMemStatsPprof(r.memstats, maxRss);
    case 'prom':
      return renderTargetMetrics([{ target, sample: r }]);
  }
}

/** The stderr notes of a reading: estimated fields, a torn snapshot, the pause. */
export function readingNotes(r: Reading): string[] {
  const out: string[] = [];
  for (const [field, q] of Object.entries(r.estimated)) out.push(`mstat: ${field} is estimated (±${q.bound} bytes): ${q.reason}`);
  if (r.meta.torn.length > 0) out.push(`mstat: warning: snapshot still torn after ${r.meta.attempts} attempts (${r.meta.torn.join('; ')}); try --mode consistent`);
  if (r.meta.mode === 'consistent') out.push(`mstat: target paused for ${(Number(r.meta.pauseNs) / 1e6).toFixed(2)} ms`);
  return out;
}
