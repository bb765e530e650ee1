// `-thread-info` (MI manual: "Thread Commands").
import { z } from 'zod';
import type { MiSender, SendOptions } from '../channel.ts';
import { parseReply } from './reply.ts';

const ThreadInfoReply = z.object({
  threads: z.array(z.looseObject({ id: z.string(), state: z.string() })),
});

export interface ThreadState {
  /** gdb's thread number */
  id: string;
  /** `running` or `stopped` */
  state: string;
}

/** `-thread-info` → every thread gdb knows and whether it runs. */
export async function threadInfo(c: MiSender, opts?: SendOptions): Promise<ThreadState[]> {
  const reply = parseReply(ThreadInfoReply, await c.send('-thread-info', [], opts), '-thread-info');
  return reply.threads.map((t) => ({ id: t.id, state: t.state }));
}
