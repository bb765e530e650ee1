// `-interpreter-exec console`: one CLI command, its `~` output collected until the reply.
import type { MiSender, SendOptions } from '../channel.ts';
import { assertConsoleText, rawArg } from '../escape.ts';

export interface ConsoleReply {
  /** All console fragments joined. */
  output: string;
  /** `&` log output (warnings). */
  log: string;
}

export async function interpreterExecConsole(c: MiSender, command: string, opts?: SendOptions): Promise<ConsoleReply> {
  assertConsoleText(command);
  // `console` bare: every byte of a command costs gdb a read(2) (see environment.ts).
  const r = await c.send('-interpreter-exec', [rawArg('console'), command], opts);
  return { output: r.console.join(''), log: r.log.join('') };
}
