// bridge/go/binary/elf.ts and bridge/go/binary/build-id.ts against the real fixture builds of every
// toolchain, checked against `go tool buildid`, `go version -m` and readelf. The paths that
// need no Go build: test/unit/go-elf.test.ts.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import t from 'tap';
import { checkSameBuild, readGoBuildId, readGoBuildInfo } from '../../bridge/go/binary/build-id.ts';
import { parseGoVersion } from '../../bridge/go/binary/go-version.ts';
import { readSection } from '../../bridge/go/binary/elf.ts';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';
import { rejectsWithCode } from '../support/bridge-errors.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { holdBuildDirShared } from '../support/go-targets.ts';
import { fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

const goEnv = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' };
const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', cwd: tmpdir(), env: goEnv, stdio: ['ignore', 'pipe', 'pipe'] });


holdBuildDirShared(t);

t.test('every fixture build', async (t) => {
  const all = fixtures();
  t.ok(all.length >= 10, `manifest lists the builds (${all.length})`);
  const variants = new Set(all.map((f) => f.variant));
  for (const v of ['default', 'cgo', 'pie', 'nodwarf', 'stripped'] as const) t.ok(variants.has(v), `has a ${v} build`);

  for (const f of all) {
    await t.test(`${f.goVersion} ${f.variant}`, async (t) => {
      const info = await readElfInfo(f.path);
      const goBuildId = run('go', ['tool', 'buildid', f.path]).trim();
      t.match(goBuildId, /^[\w-]+\/[\w-]+\/[\w-]+\/[\w-]+$/, 'go tool buildid printed an id');
      t.equal(info.goBuildId, goBuildId, 'build id as go tool buildid');
      t.equal(await readGoBuildId(f.path), goBuildId, 'readGoBuildId');

      t.equal(info.goVersion, f.goVersion, 'version from .go.buildinfo');
      const bi = await readGoBuildInfo(f.path);
      t.equal(bi?.version, f.goVersion);
      // `go version -m` prints the same module info, each line tab-indented.
      const vm = run('go', ['version', '-m', f.path]).split('\n');
      t.equal(vm[0], `${f.path}: ${f.goVersion}`);
      const expectMod = vm.slice(1).filter((l) => l !== '').map((l) => l.slice(1) + '\n').join('');
      t.equal(info.goModInfo, expectMod, 'module info as go version -m');
      t.equal(bi?.modInfo, expectMod);
      t.match(info.goModInfo, /^path\tmstatbridge\/targets\/memhog\n/);

      t.equal(info.class, 64);
      t.equal(info.littleEndian, true);
      t.equal(info.machine, 62);
      t.equal(info.machineName, 'x86_64');
      t.equal(info.type, f.variant === 'pie' ? 'dyn' : 'exec', 'ELF type');
      t.equal(info.hasDwarf, f.variant !== 'nodwarf' && f.variant !== 'stripped', 'hasDwarf');
      t.equal(info.hasSymtab, f.variant !== 'stripped', 'hasSymtab');
      // Internally linked static builds have no loader; cgo (external link) and pie do.
      if (f.variant === 'cgo' || f.variant === 'pie') t.equal(info.interpreter, '/lib64/ld-linux-x86-64.so.2', 'interpreter');
      else t.equal(info.interpreter, undefined, 'no interpreter');

      t.ok(info.sections.some((s) => s.name === '.text' && s.size > 0n && s.addr > 0n), '.text listed');
      t.ok(info.sections.some((s) => s.name === '.go.buildinfo'), '.go.buildinfo listed');
    });
  }
});

t.test('section table and readSection agree with readelf', async (t) => {
  const f = fixtures().find((x) => x.variant === 'cgo') as FixtureBuild;
  const info = await readElfInfo(f.path);
  // readelf -SW lines: "  [ 5] .note.go.buildid  NOTE  00000000004003d4 0003d4 000064 ..."
  const rows = run('readelf', ['-SW', f.path])
    .split('\n')
    .map((l) => /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] !== '0');
  t.equal(info.sections.length, rows.length + 1, 'same section count (plus the null section)');
  for (const m of rows) {
    const s = info.sections[Number(m[1])];
    t.same(
      s && { name: s.name, addr: s.addr, offset: s.offset, size: s.size },
      { name: m[2], addr: BigInt('0x' + m[4]), offset: BigInt('0x' + m[5]), size: BigInt('0x' + m[6]) },
      `section ${m[1]} ${m[2]}`,
    );
  }

  const bi = await readSection(f.path, '.go.buildinfo');
  const sec = info.sections.find((s) => s.name === '.go.buildinfo')!;
  t.equal(BigInt(bi.length), sec.size);
  t.equal(bi.subarray(0, 14).toString('latin1'), '\xff Go buildinf:');
  t.equal(bi[14], 8, 'pointer size 8');
  t.same(await readSection(f.path, sec), bi, 'by section object');
  await rejectsWithCode(t, readSection(f.path, '.no.such.section'), 'GO_ERR_NO_SECTION', /\.no\.such\.section/);
  await rejectsWithCode(t, readSection(f.path, '.bss'), 'GO_ERR_NO_SECTION', /NOBITS/);
});

t.test('checkSameBuild', async (t) => {
  const all = fixtures();
  const def = all.find((f) => f.variant === 'default' && f.toolchain === '1.26')!;
  const nodwarf = all.find((f) => f.variant === 'nodwarf')!;
  const idDef = run('go', ['tool', 'buildid', def.path]).trim();
  const idNodwarf = run('go', ['tool', 'buildid', nodwarf.path]).trim();
  t.strictSame(await checkSameBuild(def.path, def.path), { same: true, a: idDef, b: idDef });
  t.strictSame(await checkSameBuild(def.path, nodwarf.path), { same: false, a: idDef, b: idNodwarf });
  t.strictSame(await checkSameBuild(def.path, '/bin/sleep'), { same: false, a: idDef });

  // The real use: the file the user named against /proc/PID/exe of the running target.
  const target = await GoTarget.start(def);
  t.teardown(() => target.stop());
  t.strictSame(await checkSameBuild(def.path, `/proc/${target.pid}/exe`), { same: true, a: idDef, b: idDef });
  t.strictSame(await checkSameBuild(nodwarf.path, `/proc/${target.pid}/exe`), { same: false, a: idNodwarf, b: idDef });
});

t.test('every fixture version parses to what the manifest says', async (t) => {
  for (const f of fixtures()) {
    const v = parseGoVersion(f.goVersion);
    t.equal(v && `${v.major}.${v.minor}`, f.toolchain, f.goVersion);
  }
});
