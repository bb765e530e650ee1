// The one-line summary of a sample printed in the Debug Console.
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { recentPauses } from '../shared/memstats-format.ts';
import { bytesHint, countHint, durationHint } from './units.ts';

/**
 * `pid 1234 #12 12:03:04.567  HeapAlloc 11.8 MiB  Sys 25 MiB  HeapObjects 41.2 k  NumGC 7 (last pause 120 µs)  live exact, read 1.2 ms`
 */
export function summaryLine(s: SampleMessage): string {
  const m = s.memstats;
  const last = recentPauses(m.PauseNs, m.NumGC)[0];
  const quality = s.meta.torn.length > 0 ? `torn (${s.meta.torn.join('; ')})` : s.meta.exact ? 'exact' : `estimated: ${Object.keys(s.meta.estimated).join(', ')}`;
  const cost = `read ${durationHint(s.meta.readNs)}${s.meta.mode === 'consistent' ? `, paused ${durationHint(s.meta.pauseNs)}` : ''}`;
  const dropped = s.meta.dropped > 0 ? `, ${s.meta.dropped} dropped` : '';
  return [
    `pid ${s.target.pid} #${s.seq} ${s.time.slice(11, 23)}`,
    `HeapAlloc ${bytesHint(m.HeapAlloc)}`,
    `Sys ${bytesHint(m.Sys)}`,
    `HeapObjects ${countHint(m.HeapObjects) || m.HeapObjects}`,
    `NumGC ${m.NumGC}${last === undefined ? '' : ` (last pause ${durationHint(last)})`}`,
    `${s.meta.mode} ${quality}, ${cost}${dropped}`,
  ].join('  ');
}
