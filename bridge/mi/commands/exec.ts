// Whole-process stop and resume in non-stop mode. Deliberately absent: the all-stop
// `-exec-interrupt` (SIGINT can kill a Go target if gdb dies at the wrong moment) and any
// breakpoint command (an int3 left behind kills the target with SIGTRAP).
import type { MiSender, SendOptions } from '../channel.ts';
import { rawArg } from '../escape.ts';

/** `-exec-interrupt --all`: SIGSTOP per thread. Wait for the `*stopped` records separately. */
export async function execInterruptAll(c: MiSender, opts?: SendOptions): Promise<void> {
  await c.send('-exec-interrupt', [rawArg('--all')], opts);
}

/** `-exec-continue --all` → ^running. */
export async function execContinueAll(c: MiSender, opts?: SendOptions): Promise<void> {
  await c.send('-exec-continue', [rawArg('--all')], opts);
}

function checkThreadId(id: string): string {
  if (!/^[1-9][0-9]*$/.test(id)) throw new RangeError(`not a gdb thread id: ${JSON.stringify(id)}`);
  return id;
}

/** `-exec-continue --thread N`: resumes one thread (non-stop); a pending signal follows gdb's `handle` table. */
export async function execContinueThread(c: MiSender, threadId: string, opts?: SendOptions): Promise<void> {
  await c.send('-exec-continue', [rawArg('--thread'), rawArg(checkThreadId(threadId))], opts);
}
