// Wrappers for gdb's own settings commands (MI manual: "Miscellaneous GDB/MI Commands").
import { z } from 'zod';
import type { MiSender, SendOptions } from '../channel.ts';
import { CliText } from '../escape.ts';
import { parseReply } from './reply.ts';

/**
 * `-gdb-set NAME VALUE`. gdb passes the text to the CLI `set` command without unquoting
 * it (a quoted name is silently taken as an expression), hence CliText.
 */
export async function gdbSet(c: MiSender, name: string, value: string, opts?: SendOptions): Promise<void> {
  if (!/^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/.test(name)) throw new RangeError(`not a gdb setting name: ${JSON.stringify(name)}`);
  await c.send('-gdb-set', [CliText.of(value === '' ? name : `${name} ${value}`)], opts);
}

const ShowReply = z.object({ value: z.string() });
/** `-gdb-show NAME` → its value. */
export async function gdbShow(c: MiSender, name: string, opts?: SendOptions): Promise<string> {
  if (!/^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/.test(name)) throw new RangeError(`not a gdb setting name: ${JSON.stringify(name)}`);
  return parseReply(ShowReply, await c.send('-gdb-show', [CliText.of(name)], opts), '-gdb-show').value;
}

const FeaturesReply = z.object({ features: z.array(z.string()) });
/** `-list-features` → e.g. ["frozen-varobjs", …, "language-option", "python"]. */
export async function listFeatures(c: MiSender, opts?: SendOptions): Promise<string[]> {
  return parseReply(FeaturesReply, await c.send('-list-features', [], opts), '-list-features').features;
}

/** `-gdb-exit`. Prefer MiClient.close(), which detaches first. */
export async function gdbExit(c: MiSender, opts?: SendOptions): Promise<void> {
  await c.send('-gdb-exit', [], opts);
}
