// `-interpreter-exec console`: one CLI command, its `~` output collected until the reply.
import type { MiClient, SendOptions } from '../client.ts';
import { assertConsoleText } from '../escape.ts';

export interface ConsoleReply {
  /** All console fragments joined. */
  output: string;
  /** `&` log output (warnings). */
  log: string;
}

export async function interpreterExecConsole(c: MiClient, command: string, opts?: SendOptions): Promise<ConsoleReply> {
  assertConsoleText(command);
  const r = await c.send('-interpreter-exec', ['console', command], opts);
  return { output: r.console.join(''), log: r.log.join('') };
}
