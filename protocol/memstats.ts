// runtime.MemStats as the decoder produces it and the wire carries it. Field names, order
// and types are Go's (uint64 → bigint via the Uint64 codec).
import { z } from 'zod';
import { Uint32, Uint64 } from './codecs.ts';

/** Go's MemStats field order (json.Marshal order). */
export const MEMSTATS_FIELDS = [
  'Alloc', 'TotalAlloc', 'Sys', 'Lookups', 'Mallocs', 'Frees',
  'HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'HeapObjects',
  'StackInuse', 'StackSys', 'MSpanInuse', 'MSpanSys', 'MCacheInuse', 'MCacheSys',
  'BuckHashSys', 'GCSys', 'OtherSys', 'NextGC', 'LastGC', 'PauseTotalNs',
  'PauseNs', 'PauseEnd', 'NumGC', 'NumForcedGC', 'GCCPUFraction', 'EnableGC', 'DebugGC', 'BySize',
] as const;
export type MemStatsField = (typeof MEMSTATS_FIELDS)[number];

/** The uint64 scalar fields. */
export const MEMSTATS_U64_FIELDS = [
  'Alloc', 'TotalAlloc', 'Sys', 'Lookups', 'Mallocs', 'Frees',
  'HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'HeapObjects',
  'StackInuse', 'StackSys', 'MSpanInuse', 'MSpanSys', 'MCacheInuse', 'MCacheSys',
  'BuckHashSys', 'GCSys', 'OtherSys', 'NextGC', 'LastGC', 'PauseTotalNs',
] as const;
export type MemStatsU64Field = (typeof MEMSTATS_U64_FIELDS)[number];

export const BY_SIZE_ENTRIES = 61;
export const PAUSE_RING = 256;

export const BySizeEntrySchema = z.object({ Size: Uint32, Mallocs: Uint64, Frees: Uint64 });
export type BySizeEntry = z.output<typeof BySizeEntrySchema>;

export const MemStatsSchema = z.object({
  Alloc: Uint64, TotalAlloc: Uint64, Sys: Uint64, Lookups: Uint64, Mallocs: Uint64, Frees: Uint64,
  HeapAlloc: Uint64, HeapSys: Uint64, HeapIdle: Uint64, HeapInuse: Uint64, HeapReleased: Uint64, HeapObjects: Uint64,
  StackInuse: Uint64, StackSys: Uint64, MSpanInuse: Uint64, MSpanSys: Uint64, MCacheInuse: Uint64, MCacheSys: Uint64,
  BuckHashSys: Uint64, GCSys: Uint64, OtherSys: Uint64, NextGC: Uint64, LastGC: Uint64, PauseTotalNs: Uint64,
  PauseNs: z.array(Uint64).length(PAUSE_RING),
  PauseEnd: z.array(Uint64).length(PAUSE_RING),
  NumGC: Uint32,
  NumForcedGC: Uint32,
  GCCPUFraction: z.number(),
  EnableGC: z.boolean(),
  DebugGC: z.boolean(),
  BySize: z.array(BySizeEntrySchema).length(BY_SIZE_ENTRIES),
});
/** Decoded form: uint64 fields are bigint. */
export type MemStats = z.output<typeof MemStatsSchema>;
/** Wire form: uint64 fields are decimal strings. */
export type MemStatsWire = z.input<typeof MemStatsSchema>;

/**
 * How much a field can be trusted. `exact`: equal to what ReadMemStats would return at the
 * sample's instant. `estimated`: within ±bound bytes (depends on which P would run
 * ReadMemStats, memstats-internals.md §5.3/§5.4).
 */
export const FieldQualitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact') }),
  z.object({ kind: z.literal('estimated'), bound: Uint64, reason: z.string() }),
]);
export type FieldQuality = z.output<typeof FieldQualitySchema>;
