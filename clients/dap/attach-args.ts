// The `attach` configuration (launch.json), validated once. Mirrors
// contributes.debuggers[0].configurationAttributes.attach in package.json.
import { z } from 'zod';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, SampleModeSchema } from '../../protocol/client-messages.ts';
import { PidSchema } from '../../protocol/target.ts';

export const AttachArgsSchema = z.object({
  // A string too: `${command:…}` and `${input:…}` variables substitute strings.
  pid: z.union([PidSchema, z.string().regex(/^\s*\d+\s*$/).transform(Number).pipe(PidSchema)], {
    error: 'the process id of a running Go program is required (a positive number)',
  }),
  /** ws://host:port of a running bridge; without it the adapter starts a private one */
  bridge: z.string().regex(/^(wss?|https?):\/\/[^\s/]+/, 'a bridge URL such as ws://127.0.0.1:7070').optional(),
  // "" counts as none: `${env:MSTAT_TOKEN}` of an unset variable substitutes an empty string.
  token: z.string().optional().transform((s) => (s === '' ? undefined : s)),
  mode: SampleModeSchema.default('live'),
  intervalMs: z.number().int().min(MIN_INTERVAL_MS).max(MAX_INTERVAL_MS).default(1000),
  /** refresh the Variables view on new samples (else only on Continue/Pause) */
  autoRefresh: z.boolean().default(true),
  /** at most one Variables refresh per this many ms (0: every sample) */
  refreshMs: z.number().int().min(0).default(1000),
  /** a one-line summary per sample in the Debug Console */
  summary: z.boolean().default(true),
  /** at most one summary line per this many ms (0: every sample) */
  summaryMs: z.number().int().min(0).default(1000),
  /** @vscode/debugadapter's own protocol trace, in the Debug Console */
  trace: z.boolean().default(false),
});
// Not strict: VS Code adds its own keys (type, request, name, __sessionId, …).
export type AttachArgs = z.output<typeof AttachArgsSchema>;

/** Parses the attach arguments; a bad one is one line naming the key. */
export function parseAttachArgs(raw: unknown): AttachArgs {
  const r = AttachArgsSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Error(`invalid attach configuration: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
}
