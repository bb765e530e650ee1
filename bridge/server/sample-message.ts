// Builds `sample` frames. The MemStats part (most of the bytes) is encoded once per sample
// and spliced into every subscriber's frame, so 1,000 subscribers cost 1,000 small strings,
// not 1,000 zod encodes of 600 uint64s.
import { z } from 'zod';
import { MemStatsSchema } from '../../protocol/memstats.ts';
import { ProcessStatsSchema, RuntimeStatsSchema } from '../../protocol/process-stats.ts';
import type { Rates, SampleMeta } from '../../protocol/server-messages.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import type { Sample } from '../go/target.ts';

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
  const meta = sampleMeta(s, dropped);
  const wireMeta = {
    ...meta,
    readNs: meta.readNs.toString(),
    pauseNs: meta.pauseNs.toString(),
    estimated: Object.fromEntries(Object.entries(meta.estimated).map(([k, q]) => [k, q.kind === 'estimated' ? { ...q, bound: q.bound.toString() } : q])),
  };
  const wireRates = r ? { ...r, lastPauseNs: r.lastPauseNs.toString() } : undefined;
  return (
    `{"type":"sample","subscription":${JSON.stringify(subscription)},"seq":${seq},"time":${JSON.stringify(s.time.toISOString())},` +
    `"target":${JSON.stringify(info)},"memstats":${encodedMemStats(s)},` +
    (wireRates ? `"rates":${JSON.stringify(wireRates)},` : '') +
    `"runtime":${JSON.stringify(z.encode(RuntimeStatsSchema, s.runtime))},` +
    (s.process ? `"process":${JSON.stringify(z.encode(ProcessStatsSchema, s.process))},` : '') +
    `"meta":${JSON.stringify(wireMeta)}}`
  );
}
