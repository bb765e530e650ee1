// Which process a subscription is about. A union so that remote (ssh) and core-file targets
// can join later without breaking clients.
import { z } from 'zod';

export const PidSchema = z.number().int().min(1).max(0x3fffffff);

export const LocalTargetSchema = z.strictObject({ pid: PidSchema });
export const TargetRefSchema = LocalTargetSchema;
export type TargetRef = z.output<typeof TargetRefSchema>;

/** What the bridge tells about a target it reads. */
export const TargetInfoSchema = z.object({
  pid: PidSchema,
  goVersion: z.string(),
  exe: z.string(),
  buildId: z.string(),
});
export type TargetInfo = z.output<typeof TargetInfoSchema>;

/** One entry of `list-targets`: a Go process on the bridge's host. */
export const TargetListingSchema = z.object({
  pid: PidSchema,
  exe: z.string(),
  goVersion: z.string().optional(),
  attachable: z.boolean(),
  /** why not attachable */
  reason: z.string().optional(),
  /** subscribers currently reading it through this bridge */
  attached: z.boolean(),
});
export type TargetListing = z.output<typeof TargetListingSchema>;

/** Target identity as a stable string key. */
export function targetKey(t: TargetRef): string {
  return `pid:${t.pid}`;
}
