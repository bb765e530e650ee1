// What we check in a core file before gdb opens it: an ELF core, complete (not truncated),
// which process it was (NT_PRPSINFO), which files were mapped (NT_FILE), and the Go build ID
// of the executable as the core recorded it (the kernel dumps the first page of each ELF
// mapping by default, and that page holds .note.go.buildid).
import { goBuildIdIn } from './build-id.ts';
import { parseNotes } from './elf.ts';
import { ElfFile, PT_LOAD, PT_NOTE, type ElfSegment } from './elf.ts';
import { GoError, GoErrorCode } from '../errors.ts';

const NT_PRPSINFO = 3;
const NT_FILE = 0x46494c45;
const ET_CORE = 4;
const MAX_NOTES = 64 << 20;

export interface CoreMapping {
  start: bigint;
  end: bigint;
  /** file offset in pages */
  pageOffset: bigint;
  path: string;
}

export interface CoreFacts {
  pid: number;
  /** the command name (16 chars at most) */
  fname: string;
  machine: number;
  mappings: CoreMapping[];
  segments: ElfSegment[];
}

function bad(core: string, why: string, cause?: unknown): GoError {
  return new GoError(GoErrorCode.BAD_CORE, `${core}: ${why}`, { cause });
}

/** Opens `core` and checks it is a complete ELF core; returns its process facts. */
export async function readCoreFacts(core: string): Promise<CoreFacts & { elf: ElfFile }> {
  let elf: ElfFile;
  try {
    elf = await ElfFile.open(core);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'GO_ERR_NOT_A_FILE' || code === 'GO_ERR_RESOURCES') throw err;
    if (code === 'GO_ERR_NO_SUCH_FILE') throw bad(core, 'no such file', err);
    if (code === 'GO_ERR_NOT_ELF') throw bad(core, 'not a core file (no ELF magic number)', err);
    if (code === 'GO_ERR_UNREADABLE') throw bad(core, `cannot read it: ${(err as Error).message}`, err);
    throw bad(core, `corrupt ELF headers (${(err as Error).message})`, err);
  }
  try {
    if (elf.typeCode !== ET_CORE) throw bad(core, 'an ELF file but not a core dump (it is an executable or library); pass the core as --core and the binary as --exe');
    let need = 0n;
    for (const p of elf.segments) if (p.offset + p.filesz > need) need = p.offset + p.filesz;
    if (elf.fileSize < need) {
      throw bad(core, `truncated: ${elf.fileSize} of ${need} bytes (the dump was cut short: disk full, a size limit such as ulimit -c, or an interrupted copy)`);
    }
    let pid = 0;
    let fname = '';
    const mappings: CoreMapping[] = [];
    const word = elf.class === 64 ? 8 : 4;
    for (const p of elf.segments) {
      if (p.type !== PT_NOTE || p.filesz === 0n) continue;
      if (p.filesz > BigInt(MAX_NOTES)) throw bad(core, `a note segment of ${p.filesz} bytes is not plausible`);
      const notes = parseNotes(await elf.read(p.offset, Number(p.filesz)), elf.dec, 4);
      for (const n of notes) {
        if (n.type === NT_PRPSINFO && n.desc.length >= (elf.class === 64 ? 56 : 44)) {
          // elf_prpsinfo: pr_pid after state/sname/zomb/nice, pr_flag and uid/gid.
          const base = elf.class === 64 ? 24 : 12;
          pid = elf.dec.u32(n.desc, base);
          fname = n.desc.subarray(base + 16, base + 32).toString('latin1').replace(/\0.*$/s, '');
        } else if (n.type === NT_FILE && n.desc.length >= 2 * word) {
          const count = Number(elf.dec.word(n.desc, 0));
          let names = 2 * word + count * 3 * word;
          if (names > n.desc.length) continue;
          for (let i = 0; i < count; i++) {
            const at = 2 * word + i * 3 * word;
            const end = n.desc.indexOf(0, names);
            if (end < 0) break;
            mappings.push({ start: elf.dec.word(n.desc, at), end: elf.dec.word(n.desc, at + word), pageOffset: elf.dec.word(n.desc, at + 2 * word), path: n.desc.subarray(names, end).toString('utf8') });
            names = end + 1;
          }
        }
      }
    }
    if (pid === 0) throw bad(core, 'no process information (NT_PRPSINFO) in the core; was it written by the kernel or gdb?');
    return { pid, fname, machine: elf.machine, mappings, segments: elf.segments, elf };
  } catch (err) {
    await elf.close();
    throw err;
  }
}

/**
 * The Go build ID recorded in the core: the kernel dumps the first page of each ELF mapping
 * (ELF header, program headers and, for Go, the .note.go.buildid note right after them).
 * `base` is where the executable's first page was mapped. Returns undefined when the core
 * has no copy of that page (nothing to check), null when the page holds no Go build ID.
 */
export async function coreGoBuildId(core: CoreFacts & { elf: ElfFile }, base: bigint): Promise<string | null | undefined> {
  const seg = core.segments.find((p) => p.type === PT_LOAD && p.vaddr <= base && base + 64n <= p.vaddr + p.filesz);
  if (!seg) return undefined;
  const avail = seg.vaddr + seg.filesz - base;
  const page = await core.elf.read(seg.offset + (base - seg.vaddr), Number(avail < 4096n ? avail : 4096n));
  if (page.readUInt32BE(0) !== 0x7f454c46) return null;
  const d = core.elf.dec;
  const is64 = page[4] === 2;
  const phoff = Number(d.word(page, is64 ? 32 : 28));
  const phentsize = d.u16(page, is64 ? 54 : 42);
  const phnum = d.u16(page, is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + (is64 ? 56 : 32) > page.length) break;
    if (d.u32(page, at) !== PT_NOTE) continue;
    const off = Number(d.word(page, is64 ? at + 8 : at + 4));
    const size = Number(d.word(page, is64 ? at + 32 : at + 16));
    const align = Number(d.word(page, is64 ? at + 48 : at + 28));
    if (off + size > page.length) continue;
    const id = goBuildIdIn(parseNotes(page.subarray(off, off + size), d, align === 8 ? 8 : 4));
    if (id !== undefined) return id;
  }
  return null;
}
