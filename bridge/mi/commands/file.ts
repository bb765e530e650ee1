// `-file-exec-and-symbols`: load the executable (and its DWARF) before attaching.
import { isAbsolute } from 'node:path';
import type { MiSender, SendOptions } from '../channel.ts';
import { CliText } from '../escape.ts';

/**
 * gdb 13 maps this MI command onto the CLI `file` command, which splits its text with
 * buildargv and skips words starting with '-', so the path goes as one escaped word and
 * must be absolute.
 */
export async function fileExecAndSymbols(c: MiSender, path: string, opts?: SendOptions): Promise<void> {
  if (!isAbsolute(path)) throw new RangeError(`executable path must be absolute: ${JSON.stringify(path)}`);
  await c.send('-file-exec-and-symbols', [CliText.word(path)], { timeoutMs: 60_000, ...opts });
}
