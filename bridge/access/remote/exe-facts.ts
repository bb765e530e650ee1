// What a remote executable tells from the bytes a remote script sent: the first 64 KiB
// (ELF header, program headers, notes → machine, PIE, Go build ID), the 1 KiB at its Go
// build-info blob (→ toolchain version) and its section-name table (→ symbols, DWARF).
// Nothing here touches the network or the file system.
import { goBuildIdIn } from '../../go/binary/build-id.ts';
import { parseNotes } from '../../go/binary/elf.ts';
import { parseGoVersion } from '../../go/binary/go-version.ts';
import { ElfDecoder, PT_NOTE, type ElfMachineName, type ElfType } from '../../go/binary/elf.ts';

export interface RemoteExeFacts {
  elf: boolean;
  machineName: ElfMachineName;
  type: ElfType;
  goBuildId?: string;
  goVersion?: string;
  /** section names seen (undefined: the table was not sent) */
  hasSymtab?: boolean;
  hasDwarf?: boolean;
}

const MACHINES: Record<number, ElfMachineName> = { 3: 'i386', 40: 'arm', 62: 'x86_64', 183: 'aarch64' };
const TYPES: Record<number, ElfType> = { 2: 'exec', 3: 'dyn', 4: 'core' };
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** ELF identity and the Go build ID (from PT_NOTE segments inside `head`). */
function parseHead(head: Buffer): Pick<RemoteExeFacts, 'elf' | 'machineName' | 'type' | 'goBuildId'> {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return { elf: false, machineName: 'other', type: 'other' };
  const is64 = head[4] === 2;
  const dec = new ElfDecoder(head[5] === 1, is64);
  const facts: ReturnType<typeof parseHead> = {
    elf: true,
    machineName: MACHINES[dec.u16(head, 18)] ?? 'other',
    type: TYPES[dec.u16(head, 16)] ?? 'other',
  };
  const phoff = Number(dec.word(head, is64 ? 32 : 28));
  const phent = dec.u16(head, is64 ? 54 : 42);
  const phnum = dec.u16(head, is64 ? 56 : 44);
  for (let i = 0; i < phnum && i < 256; i++) {
    const o = phoff + i * phent;
    if (o + (is64 ? 56 : 32) > head.length) break;
    if (dec.u32(head, o) !== PT_NOTE) continue;
    const off = Number(is64 ? dec.u64(head, o + 8) : BigInt(dec.u32(head, o + 4)));
    const size = Number(is64 ? dec.u64(head, o + 32) : BigInt(dec.u32(head, o + 16)));
    const align = Number(is64 ? dec.u64(head, o + 48) : BigInt(dec.u32(head, o + 28)));
    if (off + size > head.length) continue;
    const id = goBuildIdIn(parseNotes(head.subarray(off, off + size), dec, align === 8 ? 8 : 4));
    if (id !== undefined) facts.goBuildId = id;
  }
  return facts;
}

/** debug/buildinfo's inline form (Go >= 1.18): uvarint length, then the version bytes. */
function versionIn(blob: Buffer): string | undefined {
  if (blob.length < 33 || !blob.subarray(0, BUILDINFO_MAGIC.length).equals(BUILDINFO_MAGIC)) return undefined;
  if ((blob[15]! & 2) === 0) return undefined; // the older pointer form: Go < 1.18, unsupported anyway
  let len = 0;
  let mul = 1;
  let at = 32;
  for (; at < blob.length && at < 40; at++) {
    len += (blob[at]! & 0x7f) * mul;
    mul *= 128;
    if (blob[at]! < 0x80) break;
  }
  at++;
  if (len === 0 || at + len > blob.length) return undefined;
  const v = blob.toString('utf8', at, at + len);
  return parseGoVersion(v) ? v : undefined;
}

export function remoteExeFacts(head: Buffer, buildinfo: Buffer, shstrtab: Buffer | undefined): RemoteExeFacts {
  const facts: RemoteExeFacts = parseHead(head);
  const v = versionIn(buildinfo);
  if (v !== undefined) facts.goVersion = v;
  if (shstrtab !== undefined && shstrtab.length > 0) {
    const names = new Set(shstrtab.toString('latin1').split('\0'));
    facts.hasSymtab = names.has('.symtab');
    facts.hasDwarf = names.has('.debug_info') || names.has('.zdebug_info');
  }
  return facts;
}
