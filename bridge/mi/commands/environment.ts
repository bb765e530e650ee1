// `-environment-cd DIR`: gdb's working directory. The reader moves gdb into its private dump
// directory so that each `dump binary memory` names its file in a few bytes: gdb reads its
// input one byte per read(2), ~1.5 µs a byte (measured), so 29 bytes less per dump is ~40 µs.
import type { MiSender, SendOptions } from '../channel.ts';
import { MiError, MiErrorCode } from '../errors.ts';
import { PLAIN_DUMP_PATH } from './dump.ts';

export async function environmentCd(c: MiSender, dir: string, opts?: SendOptions): Promise<void> {
  // gdb hands the text to the CLI `cd`, which expands `~` and takes the rest of the line.
  if (!PLAIN_DUMP_PATH.test(dir)) throw new MiError(MiErrorCode.BAD_ARGUMENT, `not a plain absolute directory: ${JSON.stringify(dir)}`);
  await c.send('-environment-cd', [dir], opts);
}
