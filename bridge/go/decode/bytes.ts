// Little-endian scalar readers over raw target memory at resolved offsets. uint64 values
// are bigint end to end; only values known to be small (counts, u16/u32) become numbers.
import type { F } from '../layout/decoder-layout.ts';

export const U64_MASK = (1n << 64n) - 1n;

/** Unsigned value of the field as bigint (1, 2, 4 or 8 bytes). */
export function u(buf: Buffer, f: F, base = 0): bigint {
  const at = base + f.o;
  switch (f.s) {
    case 8: return buf.readBigUInt64LE(at);
    case 4: return BigInt(buf.readUInt32LE(at));
    case 2: return BigInt(buf.readUInt16LE(at));
    case 1: return BigInt(buf.readUInt8(at));
    default: throw new RangeError(`unsupported scalar size ${f.s}`);
  }
}

/** Unsigned value of a field that fits a JS number (≤ 4 bytes, or a count). */
export function n(buf: Buffer, f: F, base = 0): number {
  return Number(u(buf, f, base));
}

/** Signed 64-bit value. */
export function i64(buf: Buffer, f: F, base = 0): bigint {
  if (f.s !== 8) throw new RangeError(`expected an 8-byte signed field, got ${f.s}`);
  return buf.readBigInt64LE(base + f.o);
}

/** Element k of an array field whose elements are `elemSize` bytes. */
export function elem(f: F, k: number, elemSize: number): F {
  return { o: f.o + k * elemSize, s: elemSize };
}

export function f64(buf: Buffer, f: F, base = 0): number {
  return buf.readDoubleLE(base + f.o);
}

/** Wrap-around uint64 arithmetic. */
export const wrap = (x: bigint): bigint => x & U64_MASK;
