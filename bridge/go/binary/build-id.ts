// Go-specific identification of an ELF executable:
//  - the Go build ID (ELF note "Go\0\0", type 4), which is what `go tool buildid` prints
//    and what tells us two files are the same build;
//  - the .go.buildinfo blob (toolchain version + module info), present even in stripped
//    binaries, in both the inline-string form (Go >= 1.18) and the older pointer form.
// Version strings are go-version.ts's; the ELF container is elf.ts's.
import { parseNotes, PT_LOAD, PT_NOTE, PF_R, PF_W, PF_X, withElf, ElfDecoder, type ElfFile, type ElfNote } from './elf.ts';

const GO_NOTE_NAME = Buffer.from('Go\0\0', 'latin1');
const GO_BUILDID_NOTE_TYPE = 4;
/** `\xff Go buildinf:` */
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const BUILDINFO_ALIGN = 16;
const BUILDINFO_HEADER = 32;
/** How much of the data segment to search when there is no .go.buildinfo section (as debug/buildinfo). */
const BUILDINFO_SEARCH = 64 * 1024;
/** Bounds on what we are willing to read for notes and pointer-form strings. */
const MAX_NOTE_SEGMENT = 1024 * 1024;
const MAX_STRING = 1024 * 1024;

export interface GoBuildInfo {
  /** runtime.Version() of the building toolchain, e.g. `go1.23.5`. */
  version: string;
  /** Module info text (path/mod/dep/build lines), framing sentinels stripped. */
  modInfo?: string;
}


export function goBuildIdIn(notes: ElfNote[]): string | undefined {
  for (const n of notes) {
    if (n.type === GO_BUILDID_NOTE_TYPE && n.name.equals(GO_NOTE_NAME)) return n.desc.toString('utf8');
  }
  return undefined;
}

/** The Go build ID of an already open ELF file, or undefined if it has none. */
export async function goBuildIdOf(elf: ElfFile): Promise<string | undefined> {
  const sec = elf.section('.note.go.buildid');
  if (sec && sec.size > 0n && sec.size <= BigInt(MAX_NOTE_SEGMENT)) {
    const buf = await elf.readSection(sec);
    const id = goBuildIdIn(parseNotes(buf, elf.dec, sec.addralign === 8n ? 8 : 4));
    if (id !== undefined) return id;
  }
  // No section headers (or a renamed section): scan the PT_NOTE segments, which is
  // what cmd/internal/buildid does.
  for (const p of elf.segments) {
    if (p.type !== PT_NOTE || p.filesz < 16n) continue;
    const len = p.filesz > BigInt(MAX_NOTE_SEGMENT) ? MAX_NOTE_SEGMENT : Number(p.filesz);
    const buf = await elf.readUpTo(p.offset, len);
    const id = goBuildIdIn(parseNotes(buf, elf.dec, p.align === 8n ? 8 : 4));
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Reads an unsigned LEB128 varint; undefined on overflow or truncation. */
function uvarint(b: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 8; i++) {
    const byte = b[i]!;
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return value > Number.MAX_SAFE_INTEGER ? undefined : { value, next: i + 1 };
    mul *= 128;
  }
  return undefined;
}

/** debug/buildinfo's decodeString: a uvarint length then that many bytes. */
function inlineString(b: Buffer, at: number): { value: Buffer; next: number } | undefined {
  const n = uvarint(b, at);
  if (!n || n.value === 0 || n.next + n.value > b.length) return undefined;
  return { value: b.subarray(n.next, n.next + n.value), next: n.next + n.value };
}

/** Removes cmd/go's 16-byte sentinels around the module info, as debug/buildinfo does. */
function stripModInfo(mod: Buffer | undefined): string | undefined {
  if (!mod || mod.length < 33 || mod[mod.length - 17] !== 0x0a) return undefined;
  const s = mod.subarray(16, mod.length - 16).toString('utf8');
  return s === '' ? undefined : s;
}

/** Finds the 16-byte aligned magic inside `data`; returns the blob starting there. */
function findBlob(data: Buffer): Buffer | undefined {
  for (let from = 0; ; ) {
    const i = data.indexOf(BUILDINFO_MAGIC, from);
    if (i < 0 || data.length - i < BUILDINFO_HEADER) return undefined;
    if (i % BUILDINFO_ALIGN === 0) return data.subarray(i);
    from = (i + BUILDINFO_ALIGN - 1) & ~(BUILDINFO_ALIGN - 1);
  }
}

/** The .go.buildinfo blob (or the first 64 KiB of the data segment without it). */
async function buildInfoArea(elf: ElfFile): Promise<Buffer | undefined> {
  const sec = elf.section('.go.buildinfo');
  if (sec && sec.size >= BigInt(BUILDINFO_HEADER)) {
    // The blob is the whole section in every Go release; cap the read all the same.
    if (sec.size <= BigInt(BUILDINFO_SEARCH * 16)) return elf.readSection(sec);
    return elf.readUpTo(sec.offset, BUILDINFO_SEARCH * 16);
  }
  // Section headers gone: debug/buildinfo looks at the first read-write PT_LOAD.
  const data = elf.segments.find((p) => p.type === PT_LOAD && (p.flags & (PF_R | PF_W | PF_X)) === (PF_R | PF_W));
  if (!data || data.filesz === 0n) return undefined;
  const len = data.filesz < BigInt(BUILDINFO_SEARCH) ? Number(data.filesz) : BUILDINFO_SEARCH;
  return elf.readUpTo(data.offset, len);
}

/** Go build info of an already open ELF file, or undefined if it is not a Go binary. */
export async function goBuildInfoOf(elf: ElfFile): Promise<GoBuildInfo | undefined> {
  const area = await buildInfoArea(elf);
  if (!area) return undefined;
  const blob = findBlob(area);
  if (!blob) return undefined;
  const ptrSize = blob[14]!;
  const flags = blob[15]!;

  let version: Buffer | undefined;
  let mod: Buffer | undefined;
  if (flags & 2) {
    // Go >= 1.18: strings inline after the 32-byte header.
    const v = inlineString(blob, BUILDINFO_HEADER);
    if (!v) return undefined;
    version = v.value;
    mod = inlineString(blob, v.next)?.value;
  } else {
    // Older toolchains: two pointers to Go string headers {ptr, len}, resolved
    // through the file's address map, in the blob's own byte order.
    if (ptrSize !== 4 && ptrSize !== 8) return undefined;
    const dec = new ElfDecoder((flags & 1) === 0, ptrSize === 8);
    const ptr = (b: Buffer, o: number): bigint => dec.word(b, o);
    const readGoString = async (hdrAddr: bigint): Promise<Buffer | undefined> => {
      if (hdrAddr === 0n) return undefined;
      const hdr = await elf.readVirtual(hdrAddr, 2 * ptrSize).catch(() => undefined);
      if (!hdr) return undefined;
      const dataAddr = ptr(hdr, 0);
      const len = ptr(hdr, ptrSize);
      if (len === 0n || len > BigInt(MAX_STRING)) return undefined;
      return elf.readVirtual(dataAddr, Number(len)).catch(() => undefined);
    };
    if (blob.length < 16 + 2 * ptrSize) return undefined;
    version = await readGoString(ptr(blob, 16));
    mod = await readGoString(ptr(blob, 16 + ptrSize));
  }
  if (!version || version.length === 0) return undefined;
  const info: GoBuildInfo = { version: version.toString('utf8') };
  const modInfo = stripModInfo(mod);
  if (modInfo !== undefined) info.modInfo = modInfo;
  return info;
}

/**
 * The Go build ID of `path` (what `go tool buildid` prints), or undefined for an ELF
 * file that has none. Throws GO_ERR_UNREADABLE / GO_ERR_NOT_ELF / GO_ERR_BAD_ELF.
 */
export async function readGoBuildId(path: string): Promise<string | undefined> {
  return withElf(path, goBuildIdOf);
}

/**
 * Toolchain version and module info from .go.buildinfo (works on stripped binaries),
 * or undefined for a non-Go ELF file. Throws like readGoBuildId.
 */
export async function readGoBuildInfo(path: string): Promise<GoBuildInfo | undefined> {
  return withElf(path, goBuildInfoOf);
}

/**
 * Compares the Go build IDs of two files (e.g. the executable the user named and
 * /proc/PID/exe). `same` is true only when both have a build ID and they are equal.
 */
export async function checkSameBuild(exePath: string, procExePath: string): Promise<{ same: boolean; a?: string; b?: string }> {
  const [a, b] = await Promise.all([readGoBuildId(exePath), readGoBuildId(procExePath)]);
  const r: { same: boolean; a?: string; b?: string } = { same: a !== undefined && b !== undefined && a === b };
  if (a !== undefined) r.a = a;
  if (b !== undefined) r.b = b;
  return r;
}
