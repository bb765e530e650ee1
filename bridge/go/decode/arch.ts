// Per-architecture facts DWARF does not carry. Everything else (page size, arena size,
// tag bits, chunk sizes) is read from the binary's DWARF constants (decoder-layout.ts).

export interface ArchConstants {
  name: string;
  /** runtime.arenaBaseOffset: subtracted before dividing by heapArenaBytes (a computed const, not in DWARF). */
  arenaBaseOffset: bigint;
  /** taggedPointer.pointer() sign-extends on amd64 (stacks can live above the VA hole). */
  signExtendTaggedPointers: boolean;
}

export const AMD64: ArchConstants = { name: 'amd64', arenaBaseOffset: 0xffff800000000000n, signExtendTaggedPointers: true };
export const ARM64: ArchConstants = { name: 'arm64', arenaBaseOffset: 0n, signExtendTaggedPointers: false };

export function archFor(machineName: string): ArchConstants | undefined {
  if (machineName === 'x86_64') return AMD64;
  if (machineName === 'aarch64') return ARM64;
  return undefined;
}

/** lfstackUnpack / taggedPointer.pointer(): the node address packed in an lfstack word. */
export function unpackTagged(word: bigint, shift: number, alignBits: number, arch: ArchConstants): bigint {
  const v = arch.signExtendTaggedPointers ? BigInt.asIntN(64, word) : word;
  return BigInt.asUintN(64, (v >> BigInt(shift)) << BigInt(alignBits));
}
