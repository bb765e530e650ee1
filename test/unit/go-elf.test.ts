// bridge/go/binary/elf.ts and bridge/go/binary/build-id.ts on files that need no Go build: errors, a
// non-Go executable, synthetic ELF files for the paths real builds no longer exercise
// (pointer-form build info, ELF32, big-endian, no section headers), and parseGoVersion.
// Against the real fixture builds: test/integration/go-elf-fixtures.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BridgeError } from '../../bridge/errors.ts';
import { checkSameBuild, readGoBuildId, readGoBuildInfo } from '../../bridge/go/binary/build-id.ts';
import { parseGoVersion } from '../../bridge/go/binary/go-version.ts';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';
import { rejectsWithCode } from '../support/bridge-errors.ts';


const scratch = mkdtempSync(join(tmpdir(), 'go-elf-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('errors: not ELF, unreadable, corrupt', async (t) => {
  const text = join(scratch, 'notes.txt');
  writeFileSync(text, 'just some text, long enough to fill an ELF header and then some more bytes.\n');
  await rejectsWithCode(t, readElfInfo(text), 'GO_ERR_NOT_ELF', /not an ELF executable/);
  const empty = join(scratch, 'empty');
  writeFileSync(empty, '');
  await rejectsWithCode(t, readElfInfo(empty), 'GO_ERR_NOT_ELF', /not an ELF executable/);
  await rejectsWithCode(t, readGoBuildId(text), 'GO_ERR_NOT_ELF', /not an ELF/);

  const missing = join(scratch, 'does-not-exist');
  await rejectsWithCode(t, readElfInfo(missing), 'GO_ERR_NO_SUCH_FILE', /does-not-exist: no such file/);
  try {
    await readGoBuildInfo(missing);
    t.fail('expected an error');
  } catch (err) {
    t.equal((err as BridgeError).code, 'GO_ERR_NO_SUCH_FILE');
    t.equal((err as BridgeError).context?.path, missing);
  }
  // Only regular files are opened: a FIFO would block a file-pool thread for good.
  const dir = join(scratch, 'a-dir');
  mkdirSync(dir);
  await rejectsWithCode(t, readElfInfo(dir), 'GO_ERR_NOT_A_FILE', /a-dir is a directory; give the path of a regular file/);
  const fifo = join(scratch, 'a-fifo');
  execFileSync('mkfifo', [fifo]);
  await rejectsWithCode(t, readElfInfo(fifo), 'GO_ERR_NOT_A_FILE', /a-fifo is a FIFO/);
  await rejectsWithCode(t, readElfInfo('/dev/null'), 'GO_ERR_NOT_A_FILE', /is a device/);

  const truncated = join(scratch, 'truncated');
  writeFileSync(truncated, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 62, 0]));
  await rejectsWithCode(t, readElfInfo(truncated), 'GO_ERR_BAD_ELF', /truncated ELF header/);

  // Valid header, section table pointing past the end of the file.
  const bogus = buildElf({ cls: 64, le: true, machine: 62, sections: [] });
  bogus.writeBigUInt64LE(1n << 40n, 40); // e_shoff
  bogus.writeUInt16LE(5, 60); // e_shnum
  const bogusPath = join(scratch, 'bogus-shoff');
  writeFileSync(bogusPath, bogus);
  await rejectsWithCode(t, readElfInfo(bogusPath), 'GO_ERR_BAD_ELF', /beyond the end of the file/);
});

t.test('a non-Go ELF executable', async (t) => {
  const info = await readElfInfo('/bin/sleep');
  t.equal(info.machineName, 'x86_64');
  t.equal(info.goBuildId, undefined);
  t.equal(info.goVersion, undefined);
  t.equal(info.goModInfo, undefined);
  t.ok(info.sections.length > 5, 'sections listed');
  t.equal(await readGoBuildId('/bin/sleep'), undefined);
  t.equal(await readGoBuildInfo('/bin/sleep'), undefined);
  t.strictSame(await checkSameBuild('/bin/sleep', '/bin/sleep'), { same: false }, 'no build id is never "same"');
});

t.test('parseGoVersion', async (t) => {
  t.same(parseGoVersion('go1.23.5'), { raw: 'go1.23.5', major: 1, minor: 23, patch: 5, devel: false, experiments: [] });
  t.same(parseGoVersion('go1.21.13'), { raw: 'go1.21.13', major: 1, minor: 21, patch: 13, devel: false, experiments: [] });
  t.same(parseGoVersion('go1.22rc1'), { raw: 'go1.22rc1', major: 1, minor: 22, patch: 0, devel: false, experiments: [] });
  t.same(parseGoVersion('go1.21'), { raw: 'go1.21', major: 1, minor: 21, patch: 0, devel: false, experiments: [] });
  t.same(parseGoVersion('go1.27.3 X:greenteagc,nojsonv2'), {
    raw: 'go1.27.3 X:greenteagc,nojsonv2',
    major: 1,
    minor: 27,
    patch: 3,
    devel: false,
    experiments: ['greenteagc', 'nojsonv2'],
  });
  const devel = 'devel go1.27-abcdef1234 Tue Jan 1 00:00:00 2026 +0000';
  t.same(parseGoVersion(devel), { raw: devel, major: 1, minor: 27, patch: 0, devel: true, experiments: [] });
  t.same(parseGoVersion(`${devel} X:boringcrypto`)?.experiments, ['boringcrypto']);
  t.same(parseGoVersion('go1.25-devel_8e4ab6b Mon Mar 3 12:00:00 2025 -0800')?.devel, true);
  t.equal(parseGoVersion('go1.9.7')?.minor, 9);
  t.equal(parseGoVersion('go1.100.2')?.minor, 100);
  t.equal(parseGoVersion(''), undefined);
  t.equal(parseGoVersion('1.23.5'), undefined);
  t.equal(parseGoVersion('gccgo (GCC) 13'), undefined);
  t.equal(parseGoVersion('go'), undefined);
});

// ---------------------------------------------------------------- synthetic ELF

interface SynSection {
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  data: Buffer;
  align?: number;
}
interface SynSegment {
  type: number;
  flags: number;
  /** Covers this section's bytes. */
  section: string;
  align?: number;
}

/** Lays out a small ELF file: header, program headers, section data, .shstrtab, section headers. */
function buildElf(o: {
  cls: 32 | 64;
  le: boolean;
  machine: number;
  type?: number;
  sections: SynSection[];
  segments?: SynSegment[];
  noSectionHeaders?: boolean;
}): Buffer {
  const is64 = o.cls === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const segs = o.segments ?? [];
  const names = ['', ...o.sections.map((s) => s.name), '.shstrtab'];
  const strtab = Buffer.from(names.join('\0') + '\0', 'latin1');
  const nameOff = (i: number): number => Buffer.from(names.slice(0, i).map((n) => n + '\0').join(''), 'latin1').length;

  let off = ehsize + segs.length * phentsize;
  const placed = o.sections.map((s) => {
    const a = s.align ?? 8;
    off = Math.ceil(off / a) * a;
    const at = off;
    off += s.data.length;
    return { ...s, offset: at };
  });
  const strtabOff = off;
  off += strtab.length;
  off = Math.ceil(off / 8) * 8;
  const shoff = o.noSectionHeaders ? 0 : off;
  const shnum = o.noSectionHeaders ? 0 : placed.length + 2;
  const total = off + shnum * shentsize;
  const b = Buffer.alloc(total);

  const u16 = (v: number, at: number): void => void (o.le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): void => void (o.le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const u64 = (v: bigint, at: number): void => void (o.le ? b.writeBigUInt64LE(v, at) : b.writeBigUInt64BE(v, at));
  const word = (v: bigint | number, at: number): void => (is64 ? u64(BigInt(v), at) : u32(Number(v), at));

  b.write('\x7fELF', 0, 'latin1');
  b[4] = is64 ? 2 : 1;
  b[5] = o.le ? 1 : 2;
  b[6] = 1;
  u16(o.type ?? 2, 16);
  u16(o.machine, 18);
  u32(1, 20);
  word(0x401000, 24); // e_entry
  word(segs.length ? ehsize : 0, is64 ? 32 : 28); // e_phoff
  word(shoff, is64 ? 40 : 32);
  u16(ehsize, is64 ? 52 : 40);
  u16(phentsize, is64 ? 54 : 42);
  u16(segs.length, is64 ? 56 : 44);
  u16(shentsize, is64 ? 58 : 46);
  u16(shnum, is64 ? 60 : 48);
  u16(shnum ? placed.length + 1 : 0, is64 ? 62 : 50);

  segs.forEach((p, i) => {
    const s = placed.find((x) => x.name === p.section)!;
    const at = ehsize + i * phentsize;
    const len = s.data.length;
    u32(p.type, at);
    if (is64) {
      u32(p.flags, at + 4);
      u64(BigInt(s.offset), at + 8);
      u64(s.addr, at + 16);
      u64(s.addr, at + 24);
      u64(BigInt(len), at + 32);
      u64(BigInt(len), at + 40);
      u64(BigInt(p.align ?? 4), at + 48);
    } else {
      u32(s.offset, at + 4);
      u32(Number(s.addr), at + 8);
      u32(Number(s.addr), at + 12);
      u32(len, at + 16);
      u32(len, at + 20);
      u32(p.flags, at + 24);
      u32(p.align ?? 4, at + 28);
    }
  });
  for (const s of placed) s.data.copy(b, s.offset);
  strtab.copy(b, strtabOff);

  if (shnum) {
    const sh = (i: number, f: { name: number; type: number; flags: number; addr: bigint; offset: number; size: number; align: number }): void => {
      const at = shoff + i * shentsize;
      u32(f.name, at);
      u32(f.type, at + 4);
      if (is64) {
        u64(BigInt(f.flags), at + 8);
        u64(f.addr, at + 16);
        u64(BigInt(f.offset), at + 24);
        u64(BigInt(f.size), at + 32);
        u64(BigInt(f.align), at + 48);
      } else {
        u32(f.flags, at + 8);
        u32(Number(f.addr), at + 12);
        u32(f.offset, at + 16);
        u32(f.size, at + 20);
        u32(f.align, at + 32);
      }
    };
    placed.forEach((s, i) =>
      sh(i + 1, { name: nameOff(i + 1), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.data.length, align: s.align ?? 8 }),
    );
    sh(placed.length + 1, { name: nameOff(placed.length + 1), type: 3, flags: 0, addr: 0n, offset: strtabOff, size: strtab.length, align: 1 });
  }
  return b;
}

function note(le: boolean, name: string, type: number, desc: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const d = Buffer.from(desc, 'latin1');
  const pad = (x: number): number => Math.ceil(x / 4) * 4;
  const b = Buffer.alloc(12 + pad(n.length) + pad(d.length));
  const w = (v: number, at: number): void => void (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  w(n.length, 0);
  w(d.length, 4);
  w(type, 8);
  n.copy(b, 12);
  d.copy(b, 12 + pad(n.length));
  return b;
}

const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const SYN_MOD = 'path\texample.com/old\nmod\texample.com/old\t(devel)\t\n';
const SYN_ID = 'oldAAAAAAAAAAAAAAAAA/BBBBBBBBBBBBBBBBBBBB/CCCCCCCCCCCCCCCCCCCC/DDDDDDDDDDDDDDDDDDDD';

/** An old-toolchain style executable: build info as pointers to Go string headers. */
function pointerFormElf(cls: 32 | 64, le: boolean, noSectionHeaders: boolean, biSection = '.go.buildinfo'): Buffer {
  const ptr = cls === 64 ? 8 : 4;
  const putPtr = (b: Buffer, v: number, at: number): void => {
    if (ptr === 8) void (le ? b.writeBigUInt64LE(BigInt(v), at) : b.writeBigUInt64BE(BigInt(v), at));
    else void (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  };
  const rodataAddr = 0x401000;
  const version = Buffer.from('go1.16.15', 'latin1');
  const mod = Buffer.concat([INFO_START, Buffer.from(SYN_MOD, 'latin1'), INFO_END]);
  const rodata = Buffer.alloc(0x200);
  putPtr(rodata, rodataAddr + 0x40, 0x00); // version header {ptr, len}
  putPtr(rodata, version.length, ptr);
  putPtr(rodata, rodataAddr + 0x80, 0x20); // mod header {ptr, len}
  putPtr(rodata, mod.length, 0x20 + ptr);
  version.copy(rodata, 0x40);
  mod.copy(rodata, 0x80);

  const buildinfo = Buffer.alloc(0x40);
  buildinfo.write('\xff Go buildinf:', 0, 'latin1');
  buildinfo[14] = ptr;
  buildinfo[15] = le ? 0 : 1; // pointer form, byte order
  putPtr(buildinfo, rodataAddr, 16);
  putPtr(buildinfo, rodataAddr + 0x20, 16 + ptr);

  // A GNU note first, then a decoy with the right name but wrong type, then the Go one.
  const notes = Buffer.concat([
    note(le, 'GNU\0', 3, '0123456789abcdef0123'),
    note(le, 'Go\0\0', 1, 'not-the-build-id'),
    note(le, 'Go\0\0', 4, SYN_ID),
  ]);
  return buildElf({
    cls,
    le,
    machine: cls === 64 ? 183 : 40,
    noSectionHeaders,
    sections: [
      { name: '.note.go.buildid', type: 7, flags: 2, addr: 0x400100n, data: notes, align: 4 },
      { name: '.rodata', type: 1, flags: 2, addr: BigInt(rodataAddr), data: rodata },
      { name: biSection, type: 1, flags: 3, addr: 0x402000n, data: buildinfo, align: 16 },
    ],
    segments: [
      { type: 4, flags: 4, section: '.note.go.buildid' },
      { type: 1, flags: 4, section: '.rodata' },
      { type: 1, flags: 6, section: biSection },
    ],
  });
}

t.test('synthetic: pointer-form build info, notes, ELF32/64, both byte orders', async (t) => {
  const cases = [
    { cls: 64 as const, le: true, noSH: false, bi: '.go.buildinfo', machineName: 'aarch64' },
    { cls: 64 as const, le: false, noSH: false, bi: '.go.buildinfo', machineName: 'aarch64' },
    { cls: 32 as const, le: true, noSH: false, bi: '.go.buildinfo', machineName: 'arm' },
    // No .go.buildinfo section: found by the aligned magic search in the first RW PT_LOAD.
    { cls: 64 as const, le: true, noSH: false, bi: '.data', machineName: 'aarch64' },
    // No section headers at all (sstrip-style): notes and strings through segments.
    { cls: 32 as const, le: false, noSH: true, bi: '.go.buildinfo', machineName: 'arm' },
    { cls: 64 as const, le: true, noSH: true, bi: '.go.buildinfo', machineName: 'aarch64' },
  ];
  for (const c of cases) {
    await t.test(`ELF${c.cls} ${c.le ? 'LE' : 'BE'} ${c.noSH ? 'no section headers' : c.bi}`, async (t) => {
      const p = join(scratch, `syn-${c.cls}-${c.le}-${c.noSH}-${c.bi}`);
      writeFileSync(p, pointerFormElf(c.cls, c.le, c.noSH, c.bi));
      const info = await readElfInfo(p);
      t.equal(info.class, c.cls);
      t.equal(info.littleEndian, c.le);
      t.equal(info.machineName, c.machineName);
      t.equal(info.type, 'exec');
      t.equal(info.interpreter, undefined);
      t.equal(info.sections.length, c.noSH ? 0 : 5);
      t.equal(info.segments.length, 3);
      if (!c.noSH) t.same(info.sections.map((s) => s.name), ['', '.note.go.buildid', '.rodata', c.bi, '.shstrtab']);
      t.equal(info.hasSymtab, false);
      t.equal(info.hasDwarf, false);
      t.equal(info.goBuildId, SYN_ID, 'Go note type 4 (not the GNU note or the decoy)');
      t.equal(info.goVersion, 'go1.16.15', 'version through the pointer + string header');
      t.equal(info.goModInfo, SYN_MOD, 'mod info, sentinels stripped');
      t.same(await readGoBuildInfo(p), { version: 'go1.16.15', modInfo: SYN_MOD });
    });
  }

  // Inline form with no module info; Go note only in a PT_NOTE whose section has another name.
  const inline = Buffer.alloc(0x40);
  inline.write('\xff Go buildinf:', 0, 'latin1');
  inline[14] = 8;
  inline[15] = 2;
  inline[32] = 8;
  inline.write('go1.24.1', 33, 'latin1');
  inline[41] = 0; // empty mod info
  const elf = buildElf({
    cls: 64,
    le: true,
    machine: 62,
    type: 3,
    sections: [
      { name: '.note', type: 7, flags: 2, addr: 0x1000n, data: note(true, 'Go\0\0', 4, 'inline-id'), align: 4 },
      { name: '.data', type: 1, flags: 3, addr: 0x3000n, data: Buffer.alloc(0x30, 0xaa), align: 16 },
      { name: '.go.buildinfo', type: 1, flags: 3, addr: 0x4000n, data: inline, align: 16 },
    ],
    segments: [
      { type: 4, flags: 4, section: '.note' },
      { type: 1, flags: 6, section: '.data' },
    ],
  });
  const ip = join(scratch, 'syn-inline');
  writeFileSync(ip, elf);
  const ii = await readElfInfo(ip);
  t.equal(ii.machineName, 'x86_64');
  t.equal(ii.type, 'dyn');
  t.equal(ii.goBuildId, 'inline-id', 'found through PT_NOTE');
  t.equal(ii.goVersion, 'go1.24.1', 'found through the .go.buildinfo section, not the first RW segment');
  t.equal(ii.goModInfo, undefined);

  // An ELF with a Go-looking but unaligned magic and no Go note: not Go.
  const fake = Buffer.alloc(0x40);
  fake.write('\xff Go buildinf:', 3, 'latin1');
  const fp = join(scratch, 'syn-fake');
  writeFileSync(
    fp,
    buildElf({ cls: 64, le: true, machine: 62, sections: [{ name: '.data', type: 1, flags: 3, addr: 0x3000n, data: fake, align: 16 }], segments: [{ type: 1, flags: 6, section: '.data' }] }),
  );
  const fi = await readElfInfo(fp);
  t.equal(fi.goVersion, undefined);
  t.equal(fi.goBuildId, undefined);
});
