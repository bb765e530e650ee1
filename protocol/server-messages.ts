// Bridge → client messages: one discriminated union on `type`. uint64 values are decimal
// strings on the wire; decode() with these schemas turns them into bigint.
import { z } from 'zod';
import { Uint64 } from './codecs.ts';
import { ErrorCodeSchema } from './errors.ts';
import { FieldQualitySchema, MemStatsSchema } from './memstats.ts';
import { ProcessStatsSchema, RuntimeStatsSchema } from './process-stats.ts';
import { RequestIdSchema, SampleModeSchema } from './client-messages.ts';
import { TargetInfoSchema, TargetListingSchema, TargetRefSchema } from './target.ts';

export const SampleMetaSchema = z.object({
  mode: SampleModeSchema,
  /** false when any field is estimated or the snapshot is torn */
  exact: z.boolean(),
  /** fields that depend on which P would run ReadMemStats, with their ± bound */
  estimated: z.record(z.string(), FieldQualitySchema),
  /** reasons the snapshot is still torn after the retries; empty when consistent */
  torn: z.array(z.string()),
  attempts: z.number().int(),
  /** wall time of the read */
  readNs: Uint64,
  /** consistent mode: how long the target was stopped */
  pauseNs: Uint64,
  reads: z.number().int(),
  bytes: z.number().int(),
  /** samples not sent to this subscriber since its previous one (slow connection) */
  dropped: z.number().int(),
});
export type SampleMeta = z.output<typeof SampleMetaSchema>;

/** What every reading says about itself, whoever took it (the bridge, or mstat in process). */
export const ReadingMetaSchema = SampleMetaSchema.pick({ mode: true, torn: true, attempts: true, readNs: true, pauseNs: true, reads: true, bytes: true });
export type ReadingMeta = z.output<typeof ReadingMetaSchema>;

/** Rates between this sample and the previous one of the same target. */
export const RatesSchema = z.object({
  intervalMs: z.number(),
  allocBytesPerSec: z.number(),
  mallocsPerSec: z.number(),
  freesPerSec: z.number(),
  gcPerSec: z.number(),
  /** the most recent GC pause (PauseNs ring) */
  lastPauseNs: Uint64,
});
export type Rates = z.output<typeof RatesSchema>;

export const SampleMessageSchema = z.object({
  type: z.literal('sample'),
  subscription: RequestIdSchema,
  seq: z.number().int().min(1),
  time: z.iso.datetime({ offset: true }),
  target: TargetInfoSchema,
  memstats: MemStatsSchema,
  rates: RatesSchema.optional(),
  meta: SampleMetaSchema,
  /** the runtime's counters beside MemStats (goroutines, threads, GOGC, …) */
  runtime: RuntimeStatsSchema.optional(),
  /** the process as /proc shows it; absent for a core file */
  process: ProcessStatsSchema.optional(),
});
export const SubscribedSchema = z.object({ type: z.literal('subscribed'), id: RequestIdSchema, target: TargetInfoSchema, intervalMs: z.number().int(), mode: SampleModeSchema });
export const UnsubscribedSchema = z.object({ type: z.literal('unsubscribed'), id: RequestIdSchema });
export const TargetsSchema = z.object({ type: z.literal('targets'), id: RequestIdSchema, targets: z.array(TargetListingSchema) });
export const TargetExitedSchema = z.object({ type: z.literal('target-exited'), subscription: RequestIdSchema, target: TargetRefSchema });
export const ErrorMessageSchema = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  /** the request (or subscription) the error is about, when there is one */
  id: z.string().optional(),
  /** the subscription named by `id` is over (nothing more will come for it) */
  final: z.boolean().optional(),
});
export const PongSchema = z.object({ type: z.literal('pong'), id: RequestIdSchema.optional() });

export const ServerMessageSchema = z.discriminatedUnion('type', [
  SampleMessageSchema, SubscribedSchema, UnsubscribedSchema, TargetsSchema, TargetExitedSchema, ErrorMessageSchema, PongSchema,
]);
export type ServerMessage = z.output<typeof ServerMessageSchema>;
/** Wire (JSON) form. */
export type ServerMessageWire = z.input<typeof ServerMessageSchema>;
export type SampleMessage = z.output<typeof SampleMessageSchema>;
