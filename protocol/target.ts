// Which process a subscription is about. A union so that remote (ssh) and core-file targets
// can join later without breaking clients.
import { z } from 'zod';

export const PidSchema = z.number().int().min(1).max(0x3fffffff);

/** An absolute path on the bridge's host, without control characters. */
export const HostPathSchema = z.string().min(2).max(4096).regex(/^\/[^\x00-\x1f\x7f]*$/, 'an absolute path without control characters');

/**
 * `[user@]host[:port]` for ssh. Strict on purpose: it becomes an ssh argument, so it may not
 * start with '-' or hold spaces or shell characters. IPv6 literals go in brackets.
 */
export const SshDestinationSchema = z
  .string()
  .max(255)
  .regex(/^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,63}@)?(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/, '[user@]host[:port]');

/** A process on the bridge's host; `exe` is an unstripped copy of its executable (same Go build ID). */
export const LocalTargetSchema = z.strictObject({ pid: PidSchema, exe: HostPathSchema.optional() });
/** A process on another host, reached with ssh + gdbserver; `exe` is a local copy of its executable. */
export const RemoteTargetSchema = z.strictObject({ ssh: SshDestinationSchema, pid: PidSchema, exe: HostPathSchema.optional() });
/** A core file on the bridge's host and the executable that produced it. */
export const CoreTargetSchema = z.strictObject({ core: HostPathSchema, exe: HostPathSchema });
export const TargetRefSchema = z.union([LocalTargetSchema, RemoteTargetSchema, CoreTargetSchema]);
export type TargetRef = z.output<typeof TargetRefSchema>;
export type LocalTargetRef = z.output<typeof LocalTargetSchema>;
export type RemoteTargetRef = z.output<typeof RemoteTargetSchema>;
export type CoreTargetRef = z.output<typeof CoreTargetSchema>;

/** What the bridge tells about a target it reads. */
export const TargetInfoSchema = z.object({
  pid: PidSchema,
  goVersion: z.string(),
  exe: z.string(),
  buildId: z.string(),
  /** the ssh destination of a remote target */
  host: z.string().optional(),
  /** the core file of a post-mortem target */
  core: z.string().optional(),
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

/** Target identity as a stable string key (a core with another executable is another target). */
export function targetKey(t: TargetRef): string {
  if ('core' in t) return `core:${JSON.stringify([t.core, t.exe])}`;
  if ('ssh' in t) return `ssh:${t.ssh}:${t.pid}`;
  return `pid:${t.pid}`;
}
