// Wire codecs for 64-bit values: decimal strings on the wire, bigint in TypeScript, so a
// uint64 never passes through a JS number.
import { z } from 'zod';

const U64_MAX = (1n << 64n) - 1n;

/** uint64 as a decimal string ↔ bigint. */
export const Uint64 = z.codec(z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'a uint64 as a decimal string'), z.bigint().min(0n).max(U64_MAX), {
  decode: (s) => BigInt(s),
  encode: (b) => b.toString(),
});

/** int64 as a decimal string ↔ bigint. */
export const Int64 = z.codec(z.string().regex(/^-?(0|[1-9][0-9]{0,18})$/, 'an int64 as a decimal string'), z.bigint().min(-(1n << 63n)).max((1n << 63n) - 1n), {
  decode: (s) => BigInt(s),
  encode: (b) => b.toString(),
});

/** uint32 values fit a JS number exactly. */
export const Uint32 = z.number().int().min(0).max(0xffffffff);
