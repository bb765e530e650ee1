// Client → bridge messages: one discriminated union on `type`. Strict objects: an unknown
// field is a client bug worth an error, not something to ignore silently.
import { z } from 'zod';
import { SshDestinationSchema, TargetRefSchema } from './target.ts';

/** Client-chosen ids: short, printable. */
export const RequestIdSchema = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const SampleModeSchema = z.enum(['live', 'consistent']);
export type SampleMode = z.infer<typeof SampleModeSchema>;

/** Floor and ceiling of the sampling interval (ms). */
export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 3_600_000;

export const SubscribeSchema = z.strictObject({
  type: z.literal('subscribe'),
  id: RequestIdSchema,
  target: TargetRefSchema,
  intervalMs: z.number().int().min(MIN_INTERVAL_MS).max(MAX_INTERVAL_MS).default(1000),
  mode: SampleModeSchema.default('live'),
});
export const UnsubscribeSchema = z.strictObject({ type: z.literal('unsubscribe'), id: RequestIdSchema });
/** The Go processes on the bridge's host, or with `ssh` on that host (reached like a remote target). */
export const ListTargetsSchema = z.strictObject({ type: z.literal('list-targets'), id: RequestIdSchema, ssh: SshDestinationSchema.optional() });
export const PingSchema = z.strictObject({ type: z.literal('ping'), id: RequestIdSchema.optional() });

export const ClientMessageSchema = z.discriminatedUnion('type', [SubscribeSchema, UnsubscribeSchema, ListTargetsSchema, PingSchema]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;
export type ClientMessageInput = z.input<typeof ClientMessageSchema>;
