// Builds `sample` frames with the protocol's own schema (z.encode: the one encoder of the
// wire format). MemStats (most of the bytes) is encoded once per sample and spliced into every
// subscriber's frame, so 1,000 subscribers cost 1,000 small encodes, not 1,000 of 600 uint64s.
import { z } from 'zod';
import { MemStatsSchema } from '../../protocol/memstats.ts';
import { SampleMessageSchema, type Rates, type SampleMeta } from '../../protocol/server-messages.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import type { Sample } from '../go/target.ts';

/** Everything of a frame but MemStats, which is spliced in already encoded. */
const FrameWithoutMemStatsSchema = SampleMessageSchema.omit({ memstats: true });

const memstatsJson = new WeakMap<Sample, string>();

export function encodedMemStats(s: Sample): string {
  let j = memstatsJson.get(s);
  if (j === undefined) {
    j = JSON.stringify(z.encode(MemStatsSchema, s.memstats));
    memstatsJson.set(s, j);
  }
  return j;
}

export function rates(prev: Sample | undefined, cur: Sample): Rates | undefined {
  if (!prev) return undefined;
  const ms = cur.time.getTime() - prev.time.getTime();
  if (ms <= 0) return undefined;
  const per = (a: bigint, b: bigint): number => (Number(b - a) / ms) * 1000;
  const m = cur.memstats;
  return {
    intervalMs: ms,
    allocBytesPerSec: per(prev.memstats.TotalAlloc, m.TotalAlloc),
    mallocsPerSec: per(prev.memstats.Mallocs, m.Mallocs),
    freesPerSec: per(prev.memstats.Frees, m.Frees),
    gcPerSec: ((m.NumGC - prev.memstats.NumGC) / ms) * 1000,
    lastPauseNs: m.NumGC > 0 ? m.PauseNs[(m.NumGC + 255) % 256]! : 0n,
  };
}

export function sampleMeta(s: Sample, dropped: number): SampleMeta {
  return {
    mode: s.meta.mode,
    exact: Object.keys(s.estimated).length === 0 && s.meta.torn.length === 0,
    estimated: s.estimated as SampleMeta['estimated'],
    torn: s.meta.torn,
    attempts: s.meta.attempts,
    readNs: s.meta.readNs,
    pauseNs: s.meta.pauseNs,
    reads: s.meta.reads,
    bytes: s.meta.bytes,
    dropped,
  };
}

/** The wire JSON of one sample frame. */
export function sampleFrame(subscription: string, seq: number, info: TargetInfo, s: Sample, r: Rates | undefined, dropped: number): string {
  const frame = z.encode(FrameWithoutMemStatsSchema, {
    type: 'sample',
    subscription,
    seq,
    time: s.time.toISOString(),
    target: info,
    rates: r,
    meta: sampleMeta(s, dropped),
    runtime: s.runtime,
    process: s.process,
  });
  return `${JSON.stringify(frame).slice(0, -1)},"memstats":${encodedMemStats(s)}}`;
}
