// Memory reads and C-language expression evaluation.
import { z } from 'zod';
import type { MiSender, SendOptions } from '../channel.ts';
import { MiError, MiErrorCode } from '../errors.ts';
import { rawArg } from '../escape.ts';
import { parseReply } from './reply.ts';

const MemoryReply = z.object({
  memory: z.array(
    z.object({
      begin: z.string().regex(/^0x[0-9a-f]+$/i),
      offset: z.string().regex(/^0x[0-9a-f]+$/i),
      end: z.string().regex(/^0x[0-9a-f]+$/i),
      // Checked by decoding (see below): a regex over megabytes of hex is slow and can
      // overflow the stack.
      contents: z.string(),
    }),
  ),
});

export interface MemoryRead {
  address: bigint;
  bytes: Buffer;
  /** Fewer bytes than asked: the read crossed into unmapped memory. */
  partial: boolean;
}

/**
 * `-data-read-memory-bytes ADDR COUNT`. A short read (the range crosses the end of a
 * mapping) returns one byte too many in gdb 13; that byte is dropped.
 */
export async function dataReadMemoryBytes(c: MiSender, address: bigint, count: number, opts?: SendOptions): Promise<MemoryRead> {
  if (address < 0n || !Number.isSafeInteger(count) || count <= 0) throw new RangeError(`bad memory range ${address}+${count}`);
  const reply = parseReply(MemoryReply, await c.send('-data-read-memory-bytes', [rawArg(`0x${address.toString(16)}`), rawArg(count)], opts), '-data-read-memory-bytes');
  const block = reply.memory.find((m) => BigInt(m.begin) === address);
  if (!block) throw new MiError(MiErrorCode.BAD_REPLY, `memory reply does not start at 0x${address.toString(16)}`);
  let bytes = Buffer.from(block.contents, 'hex');
  // Buffer.from stops at the first non-hex pair: a length mismatch is a malformed reply.
  if (bytes.length * 2 !== block.contents.length) throw new MiError(MiErrorCode.BAD_REPLY, `memory reply at 0x${address.toString(16)} is not whole hex bytes`);
  const partial = bytes.length < count;
  if (partial && bytes.length > 0) bytes = bytes.subarray(0, bytes.length - 1);
  if (bytes.length > count) bytes = bytes.subarray(0, count);
  return { address, bytes, partial };
}

const EvalReply = z.object({ value: z.string() });

/** `-data-evaluate-expression --language c EXPR` → gdb's printed value. */
export async function dataEvaluateExpression(c: MiSender, expression: string, opts?: SendOptions & { language?: 'c' | 'go' | 'auto' }): Promise<string> {
  const args = opts?.language === 'auto' ? [expression] : [rawArg('--language'), rawArg(opts?.language ?? 'c'), expression];
  return parseReply(EvalReply, await c.send('-data-evaluate-expression', args, opts), '-data-evaluate-expression').value;
}
