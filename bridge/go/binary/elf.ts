// A minimal ELF reader (ELF32/ELF64, little- and big-endian), enough to identify a Go
// executable before gdb is pointed at it: machine, type, interpreter, section list,
// whether symbols / DWARF are present, and the Go build ID and build info.
//
// Reads are bounded: the ELF header, the program and section header tables, the
// section-name string table, and then only the sections a caller asks for. Nothing
// reads the whole file, so 50+ MB binaries cost a few KiB of I/O.
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { BridgeError } from '../../errors.ts';
import { GoError, GoErrorCode } from '../errors.ts';

export type ElfMachineName = 'x86_64' | 'aarch64' | 'i386' | 'arm' | 'other';
export type ElfType = 'exec' | 'dyn' | 'core' | 'other';

export interface ElfSection {
  name: string;
  /** sh_type (SHT_*). */
  type: number;
  /** sh_flags (SHF_*); every defined flag fits in a number. */
  flags: number;
  addr: bigint;
  offset: bigint;
  size: bigint;
  /** sh_entsize. */
  entsize: bigint;
  /** sh_addralign. */
  addralign: bigint;
  /** sh_link. */
  link: number;
}

export interface ElfSegment {
  /** p_type (PT_*). */
  type: number;
  /** p_flags (PF_X=1, PF_W=2, PF_R=4). */
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfInfo {
  class: 32 | 64;
  littleEndian: boolean;
  /** e_machine. */
  machine: number;
  machineName: ElfMachineName;
  type: ElfType;
  /** PT_INTERP contents (the dynamic loader), absent for static executables. */
  interpreter?: string;
  sections: ElfSection[];
  /** Program headers (not needed by most callers; kept for address mapping). */
  segments: ElfSegment[];
  /** A .symtab section with at least one symbol beyond the null entry. */
  hasSymtab: boolean;
  /** .debug_info or .zdebug_info present (compressed or not). */
  hasDwarf: boolean;
}

export interface ElfNote {
  name: Buffer;
  type: number;
  desc: Buffer;
}

/** Splits a note area into notes; stops quietly at the first malformed entry. */
export function parseNotes(buf: Buffer, dec: ElfDecoder, align: number): ElfNote[] {
  const notes: ElfNote[] = [];
  const pad = (n: number): number => (n + align - 1) & ~(align - 1);
  let o = 0;
  while (o + 12 <= buf.length) {
    const namesz = dec.u32(buf, o);
    const descsz = dec.u32(buf, o + 4);
    const type = dec.u32(buf, o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + pad(namesz);
    if (descAt + descsz > buf.length) break;
    notes.push({ name: buf.subarray(nameAt, nameAt + namesz), type, desc: buf.subarray(descAt, descAt + descsz) });
    o = descAt + pad(descsz);
  }
  return notes;
}

export const SHT_NULL = 0;
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_COMPRESSED = 0x800;
export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const EM_386 = 3;
const EM_ARM = 40;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/** Refuse single reads larger than this (a corrupt header could claim terabytes). */
const MAX_READ = 512 * 1024 * 1024;
/** Sanity caps on header table entry counts. */
const MAX_SECTIONS = 1 << 20;
const MAX_SEGMENTS = 1 << 16;

function machineNameOf(m: number): ElfMachineName {
  switch (m) {
    case EM_X86_64:
      return 'x86_64';
    case EM_AARCH64:
      return 'aarch64';
    case EM_386:
      return 'i386';
    case EM_ARM:
      return 'arm';
    default:
      return 'other';
  }
}

function typeOf(t: number): ElfType {
  switch (t) {
    case 2:
      return 'exec';
    case 3:
      return 'dyn';
    case 4:
      return 'core';
    default:
      return 'other';
  }
}

function osError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function unreadable(path: string, err: unknown): GoError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new GoError(GoErrorCode.NO_SUCH_FILE, `${path}: no such file; give the path of an existing file`, { cause: err, context: { path } });
  if (code === 'EMFILE' || code === 'ENFILE') return new GoError(GoErrorCode.RESOURCES, `cannot open ${path}: the bridge is out of file descriptors (${code}); try again later, or raise its limit`, { cause: err, context: { path } });
  return new GoError(GoErrorCode.UNREADABLE, `cannot read ${path}: ${osError(err)}`, {
    cause: err,
    context: { path, ...(code === undefined ? {} : { errno: code }) },
  });
}

/** Throws GO_ERR_NOT_A_FILE for anything but a regular file (stat follows symlinks). */
function notRegular(path: string, st: Stats): void {
  if (st.isFile()) return;
  const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  throw new GoError(GoErrorCode.NOT_A_FILE, `${path} is ${kind}; give the path of a regular file (the executable, or the core file)`, { context: { path } });
}

function badElf(path: string, what: string, context: Record<string, unknown> = {}): GoError {
  return new GoError(GoErrorCode.BAD_ELF, `${path}: malformed ELF file: ${what}`, { context: { path, ...context } });
}

/** Endian- and class-aware field access on a Buffer. */
export class ElfDecoder {
  constructor(
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {}
  u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  u64(b: Buffer, o: number): bigint {
    return this.littleEndian ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
  }
  /** An address/offset-sized field (Elf32_Addr or Elf64_Addr). */
  word(b: Buffer, o: number): bigint {
    return this.is64 ? this.u64(b, o) : BigInt(this.u32(b, o));
  }
}

/**
 * An open ELF file with its headers parsed. Use `ElfFile.open` / `withElf`; call
 * `close()` when done (withElf does it for you).
 */
export class ElfFile {
  readonly path: string;
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine: number;
  readonly typeCode: number;
  readonly sections: ElfSection[];
  readonly segments: ElfSegment[];
  readonly fileSize: bigint;
  readonly dec: ElfDecoder;
  private readonly fh: FileHandle;

  private constructor(init: {
    path: string;
    fh: FileHandle;
    cls: 32 | 64;
    littleEndian: boolean;
    machine: number;
    typeCode: number;
    sections: ElfSection[];
    segments: ElfSegment[];
    fileSize: bigint;
  }) {
    this.path = init.path;
    this.fh = init.fh;
    this.class = init.cls;
    this.littleEndian = init.littleEndian;
    this.machine = init.machine;
    this.typeCode = init.typeCode;
    this.sections = init.sections;
    this.segments = init.segments;
    this.fileSize = init.fileSize;
    this.dec = new ElfDecoder(init.littleEndian, init.cls === 64);
  }

  /**
   * Opens `path` and parses the ELF, program and section headers. Only a regular file is
   * opened: paths come from clients, and a FIFO would block a thread of Node's file pool for
   * good, a device could act on being opened. The open is non-blocking, and what was opened
   * is checked again (a path swapped after the first look).
   */
  static async open(path: string): Promise<ElfFile> {
    let fh: FileHandle;
    try {
      notRegular(path, await stat(path));
      fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw err instanceof BridgeError ? err : unreadable(path, err);
    }
    try {
      notRegular(path, await fh.stat());
      return await ElfFile.parse(path, fh);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  private static async parse(path: string, fh: FileHandle): Promise<ElfFile> {
    let fileSize: bigint;
    try {
      const st = await fh.stat({ bigint: true });
      fileSize = st.size;
    } catch (err) {
      throw unreadable(path, err);
    }
    const ident = await rawRead(path, fh, 0, 64);
    if (ident.length < 16 || ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
      throw new GoError(GoErrorCode.NOT_ELF, `${path} is not an ELF executable (no ELF magic number)`, {
        context: { path },
      });
    }
    const eiClass = ident[4];
    const eiData = ident[5];
    if (eiClass !== 1 && eiClass !== 2) throw badElf(path, `unknown ELF class ${eiClass}`);
    if (eiData !== 1 && eiData !== 2) throw badElf(path, `unknown ELF data encoding ${eiData}`);
    const cls: 32 | 64 = eiClass === 2 ? 64 : 32;
    const is64 = cls === 64;
    const d = new ElfDecoder(eiData === 1, is64);
    const ehsize = is64 ? 64 : 52;
    if (ident.length < ehsize) throw badElf(path, 'truncated ELF header', { size: ident.length });
    const h = ident;

    const typeCode = d.u16(h, 16);
    const machine = d.u16(h, 18);
    const phoff = d.word(h, is64 ? 32 : 28);
    const shoff = d.word(h, is64 ? 40 : 32);
    const phentsize = d.u16(h, is64 ? 54 : 42);
    let phnum = d.u16(h, is64 ? 56 : 44);
    const shentsize = d.u16(h, is64 ? 58 : 46);
    let shnum = d.u16(h, is64 ? 60 : 48);
    let shstrndx = d.u16(h, is64 ? 62 : 50);

    const shdrSize = is64 ? 64 : 40;
    const phdrSize = is64 ? 56 : 32;
    const read = (off: bigint, len: number): Promise<Buffer> => checkedRead(path, fh, fileSize, off, len);

    // Section header 0 carries the real counts when they overflow 16 bits.
    let sh0: Buffer | undefined;
    if (shoff !== 0n) {
      if (shentsize < shdrSize) throw badElf(path, `section header entry size ${shentsize} too small`);
      sh0 = await read(shoff, shdrSize);
      if (shnum === 0) shnum = Number(d.word(sh0, is64 ? 32 : 20)); // sh_size
      if (shstrndx === 0xffff) shstrndx = d.u32(sh0, is64 ? 40 : 24); // sh_link
      if (phnum === 0xffff) phnum = d.u32(sh0, is64 ? 44 : 28); // sh_info
    }
    if (shnum > MAX_SECTIONS) throw badElf(path, `implausible section count ${shnum}`);
    if (phnum > MAX_SEGMENTS) throw badElf(path, `implausible program header count ${phnum}`);

    const segments: ElfSegment[] = [];
    if (phoff !== 0n && phnum > 0) {
      if (phentsize < phdrSize) throw badElf(path, `program header entry size ${phentsize} too small`);
      const tab = await read(phoff, phnum * phentsize);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        segments.push(
          is64
            ? {
                type: d.u32(tab, o),
                flags: d.u32(tab, o + 4),
                offset: d.u64(tab, o + 8),
                vaddr: d.u64(tab, o + 16),
                filesz: d.u64(tab, o + 32),
                memsz: d.u64(tab, o + 40),
                align: d.u64(tab, o + 48),
              }
            : {
                type: d.u32(tab, o),
                offset: BigInt(d.u32(tab, o + 4)),
                vaddr: BigInt(d.u32(tab, o + 8)),
                filesz: BigInt(d.u32(tab, o + 16)),
                memsz: BigInt(d.u32(tab, o + 20)),
                flags: d.u32(tab, o + 24),
                align: BigInt(d.u32(tab, o + 28)),
              },
        );
      }
    }

    const sections: ElfSection[] = [];
    if (shoff !== 0n && shnum > 0) {
      const tab = await read(shoff, shnum * shentsize);
      const raw: Array<{ nameOff: number } & ElfSection> = [];
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        raw.push(
          is64
            ? {
                nameOff: d.u32(tab, o),
                name: '',
                type: d.u32(tab, o + 4),
                flags: Number(d.u64(tab, o + 8)),
                addr: d.u64(tab, o + 16),
                offset: d.u64(tab, o + 24),
                size: d.u64(tab, o + 32),
                link: d.u32(tab, o + 40),
                addralign: d.u64(tab, o + 48),
                entsize: d.u64(tab, o + 56),
              }
            : {
                nameOff: d.u32(tab, o),
                name: '',
                type: d.u32(tab, o + 4),
                flags: d.u32(tab, o + 8),
                addr: BigInt(d.u32(tab, o + 12)),
                offset: BigInt(d.u32(tab, o + 16)),
                size: BigInt(d.u32(tab, o + 20)),
                link: d.u32(tab, o + 24),
                addralign: BigInt(d.u32(tab, o + 32)),
                entsize: BigInt(d.u32(tab, o + 36)),
              },
        );
      }
      let names: Buffer | undefined;
      const strtab = shstrndx !== 0 && shstrndx < raw.length ? raw[shstrndx] : undefined;
      if (strtab && strtab.type !== SHT_NOBITS) {
        if (strtab.size > BigInt(MAX_READ)) throw badElf(path, 'section name table too large');
        names = await read(strtab.offset, Number(strtab.size));
      }
      for (const { nameOff, ...s } of raw) {
        if (names && nameOff < names.length) {
          const end = names.indexOf(0, nameOff);
          s.name = names.toString('latin1', nameOff, end < 0 ? names.length : end);
        }
        sections.push(s);
      }
    }

    return new ElfFile({ path, fh, cls, littleEndian: d.littleEndian, machine, typeCode, sections, segments, fileSize });
  }

  get machineName(): ElfMachineName {
    return machineNameOf(this.machine);
  }

  get type(): ElfType {
    return typeOf(this.typeCode);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Reads exactly `length` bytes at `offset`; a short read is GO_ERR_BAD_ELF. */
  read(offset: bigint, length: number): Promise<Buffer> {
    return checkedRead(this.path, this.fh, this.fileSize, offset, length);
  }

  /** Reads up to `length` bytes at `offset` (fewer at end of file). */
  async readUpTo(offset: bigint, length: number): Promise<Buffer> {
    if (offset >= this.fileSize) return Buffer.alloc(0);
    const avail = this.fileSize - offset;
    const n = BigInt(length) < avail ? length : Number(avail);
    return this.read(offset, n);
  }

  /**
   * A section's bytes as stored in the file (SHF_COMPRESSED sections are returned
   * compressed). SHT_NOBITS sections have no file contents and are refused.
   */
  async readSection(section: string | ElfSection): Promise<Buffer> {
    const s = typeof section === 'string' ? this.section(section) : section;
    if (!s) {
      throw new GoError(GoErrorCode.NO_SECTION, `${this.path} has no section ${String(section)}`, {
        context: { path: this.path, section },
      });
    }
    if (s.type === SHT_NOBITS) {
      throw new GoError(GoErrorCode.NO_SECTION, `${this.path}: section ${s.name} has no file contents (SHT_NOBITS)`, {
        context: { path: this.path, section: s.name },
      });
    }
    if (s.type === SHT_NULL || s.size === 0n) return Buffer.alloc(0);
    if (s.size > BigInt(MAX_READ)) throw badElf(this.path, `section ${s.name} too large (${s.size} bytes)`);
    return this.read(s.offset, Number(s.size));
  }

  /**
   * File offset holding virtual address `addr` for at least `length` bytes, via the
   * section table first, then PT_LOAD segments (for binaries without sections).
   */
  vaddrToOffset(addr: bigint, length: number): bigint | undefined {
    const len = BigInt(length);
    for (const s of this.sections) {
      if (s.type === SHT_NOBITS || s.type === SHT_NULL || (s.flags & SHF_ALLOC) === 0) continue;
      if (addr >= s.addr && addr + len <= s.addr + s.size) return s.offset + (addr - s.addr);
    }
    for (const p of this.segments) {
      if (p.type !== PT_LOAD) continue;
      if (addr >= p.vaddr && addr + len <= p.vaddr + p.filesz) return p.offset + (addr - p.vaddr);
    }
    return undefined;
  }

  /** Reads `length` bytes at virtual address `addr`, or undefined if not file-backed. */
  async readVirtual(addr: bigint, length: number): Promise<Buffer | undefined> {
    const off = this.vaddrToOffset(addr, length);
    if (off === undefined) return undefined;
    return this.read(off, length);
  }

  /** PT_INTERP contents without the trailing NUL. */
  async interpreter(): Promise<string | undefined> {
    const p = this.segments.find((s) => s.type === PT_INTERP);
    if (!p || p.filesz === 0n || p.filesz > 4096n) return undefined;
    const b = await this.read(p.offset, Number(p.filesz));
    const end = b.indexOf(0);
    return b.toString('utf8', 0, end < 0 ? b.length : end);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function rawRead(path: string, fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (err) {
    throw unreadable(path, err);
  }
  return got === length ? buf : buf.subarray(0, got);
}

async function checkedRead(path: string, fh: FileHandle, fileSize: bigint, offset: bigint, length: number): Promise<Buffer> {
  if (length < 0 || length > MAX_READ) throw badElf(path, `implausible read of ${length} bytes`);
  if (offset < 0n || offset + BigInt(length) > fileSize) {
    throw badElf(path, `range [${offset}, +${length}) lies beyond the end of the file (${fileSize} bytes)`, {
      offset: offset.toString(),
      length,
    });
  }
  const b = await rawRead(path, fh, Number(offset), length);
  if (b.length !== length) throw badElf(path, `short read at ${offset}`);
  return b;
}

/** Opens `path` as ELF, runs `fn`, and closes the file whatever happens. */
export async function withElf<T>(path: string, fn: (elf: ElfFile) => Promise<T>): Promise<T> {
  const elf = await ElfFile.open(path);
  try {
    return await fn(elf);
  } finally {
    await elf.close().catch(() => undefined);
  }
}

/** What an open ELF file is: class, machine, type, sections, and whether it has symbols and DWARF. */
export async function elfInfoOf(elf: ElfFile): Promise<ElfInfo> {
  const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB && s.name === '.symtab');
  const entsize = symtab && symtab.entsize > 0n ? symtab.entsize : BigInt(elf.class === 64 ? 24 : 16);
  const interpreter = await elf.interpreter();
  const info: ElfInfo = {
    class: elf.class,
    littleEndian: elf.littleEndian,
    machine: elf.machine,
    machineName: elf.machineName,
    type: elf.type,
    sections: elf.sections,
    segments: elf.segments,
    hasSymtab: symtab !== undefined && symtab.size / entsize > 1n,
    hasDwarf: elf.sections.some((s) => s.name === '.debug_info' || s.name === '.zdebug_info'),
  };
  if (interpreter !== undefined) info.interpreter = interpreter;
  return info;
}

/**
 * The file bytes of one section, by name or as returned in ElfInfo.sections.
 * Missing or SHT_NOBITS sections throw GO_ERR_NO_SECTION.
 */
export async function readSection(path: string, section: string | ElfSection): Promise<Buffer> {
  return withElf(path, (elf) => elf.readSection(section));
}
