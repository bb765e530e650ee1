// Shared helper: validate the part of a reply a wrapper depends on, with a coded error.
import type { z } from 'zod';
import { MiError, MiErrorCode } from '../errors.ts';
import type { MiReply } from '../channel.ts';

export function parseReply<S extends z.ZodType>(schema: S, reply: MiReply, what: string): z.output<S> {
  const r = schema.safeParse(reply.record.results);
  if (!r.success) {
    throw new MiError(MiErrorCode.BAD_REPLY, `unexpected reply shape for ${what}: ${r.error.issues[0]?.message ?? 'invalid'}`, {
      context: { results: reply.record.results },
    });
  }
  return r.data;
}
