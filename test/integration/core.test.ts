// Core files: exact MemStats from a kernel core dump of a quiet fixture (every toolchain),
// compared with the fixture's own ReadMemStats taken just before the dump; the build-ID
// check; truncated and wrong files; a bridge subscription to a core; bounded disk use.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { CoreAccess } from '../../bridge/access/core-access.ts';
import { TargetReader } from '../../bridge/go/target.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { toWireError } from '../../bridge/targets/wire-errors.ts';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { MEMSTATS_U64_FIELDS, type MemStats } from '../../protocol/memstats.ts';
import { testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { runMstat } from '../support/cli.ts';
import { corePatternProblem, dumpQuietCore, type DumpedCore } from '../../scripts/kit/core-dump.ts';
import { compareJson, prepareQuietScenario, waitQuiet } from '../../scripts/kit/differential.ts';
import { type GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture, fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

const DISK_LIMIT = 300 * 1024 * 1024;

function workDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mstat-core-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The quiet scenario of the differential tests, settled (read live until unchanged); returns
 * a consistent reading of ours taken last, to tell a disturbed round (background work changed
 * the target before its own ReadMemStats) from a decoder error.
 */
async function quiet(go: GoTarget): Promise<MemStats> {
  await prepareQuietScenario(go);
  const probe = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
  try {
    await waitQuiet(probe);
    return (await probe.sample('consistent')).memstats;
  } finally {
    await probe.close();
  }
}

/**
 * A core of a quiet fixture whose own ReadMemStats equals our last reading before the dump,
 * and in which nothing ran between that ReadMemStats and the dump: its flush left every
 * mcache without spans and every stack cache empty, so a core that holds cached spans or
 * cached stacks saw the runtime at work afterwards (seen: a stack freed into a P's cache),
 * and the fixture's numbers are then not those of the dumped instant.
 */
async function undisturbedCore(t: { teardown(fn: () => unknown): void }, build: FixtureBuild): Promise<{ d: DumpedCore; dir: string; disturbed: string[] }> {
  const disturbed: string[] = [];
  for (;;) {
    const dir = workDir(t);
    let before: MemStats | undefined;
    const d = await dumpQuietCore(dir, build, async (go) => {
      before = await quiet(go);
    });
    let why = formatMemStatsJson(before!) === formatMemStatsJson(d.theirs) ? '' : 'changed before its ReadMemStats';
    if (!why) {
      const r = await readCore(d, dir);
      const s = await r.sample('live');
      await r.close();
      if (s.flush.cachedSpans > 0 || s.flush.stackBytesFreed > 0n || s.flush.tinyAllocs > 0n) {
        why = `ran after its ReadMemStats (core holds ${s.flush.cachedSpans} cached spans, ${s.flush.stackBytesFreed} B of freeable cached stacks, ${s.flush.tinyAllocs} tiny allocs)`;
      } else if (stackFreedSince(d.theirs, s.memstats)) {
        why = 'freed a goroutine stack after its ReadMemStats (its crash path; StackInuse down, HeapIdle up by the same amount, nothing else changed)';
      } else if (onlyReleasedMoved(d.theirs, s.memstats)) {
        why = 'had its scavenger move HeapReleased after its ReadMemStats (nothing else changed)';
      }
    }
    if (!why || disturbed.length >= 4) return { d, dir, disturbed };
    disturbed.push(why);
  }
}

/** ours = theirs except that stack bytes moved to the idle heap: a stack freed in between. */
function stackFreedSince(theirs: MemStats, ours: MemStats): boolean {
  const moved = theirs.StackInuse - ours.StackInuse;
  if (moved <= 0n || ours.HeapIdle - theirs.HeapIdle !== moved || ours.HeapSys - theirs.HeapSys !== moved || theirs.StackSys - ours.StackSys !== moved) return false;
  const rest = (m: MemStats): string => formatMemStatsJson({ ...m, StackInuse: 0n, StackSys: 0n, HeapIdle: 0n, HeapSys: 0n });
  return rest(theirs) === rest(ours);
}

/**
 * Only HeapReleased differs: the background scavenger worked between the fixture's
 * ReadMemStats and the dump (memstats-internals.md, pitfall 14). A decoder error would repeat
 * on every retry; the retries are bounded.
 */
function onlyReleasedMoved(theirs: MemStats, ours: MemStats): boolean {
  if (theirs.HeapReleased === ours.HeapReleased) return false;
  const rest = (m: MemStats): string => formatMemStatsJson({ ...m, HeapReleased: 0n });
  return rest(theirs) === rest(ours);
}

function readCore(d: { core: string; exe: string }, cacheDir: string): Promise<TargetReader> {
  return TargetReader.open(new CoreAccess(d.core, d.exe), { log: silentLogger(), cacheDir });
}

t.test('the kernel writes cores where the tests need them', async (t) => {
  t.equal(corePatternProblem(), undefined, 'kernel.core_pattern is a relative file name');
});

const builds = fixtures().filter((b) => b.program === 'memhog' && (b.variant === 'default' || b.variant === 'pie' || b.variant === 'cgo'));
let kept: DumpedCore | undefined;
const keepDir = mkdtempSync(join(tmpdir(), 'mstat-core-kept-'));
t.teardown(() => rmSync(keepDir, { recursive: true, force: true }));

for (const build of builds) {
  t.test(`${build.goVersion} ${build.variant}: a core's MemStats equal the fixture's own ReadMemStats before the dump`, async (t) => {
    const { d, dir, disturbed } = await undisturbedCore(t, build);
    for (const why of disturbed) t.comment(`dump discarded: the fixture ${why}`);
    t.ok(d.diskBytes < DISK_LIMIT, `core takes ${(d.diskBytes / 1048576).toFixed(1)} MiB on disk (limit ${DISK_LIMIT / 1048576} MiB)`);
    const r = await readCore(d, dir);
    t.teardown(() => r.close());
    t.equal(r.info.pid, d.pid, 'pid from the core');
    t.equal(r.info.core, d.core);
    t.equal(r.info.goVersion, build.goVersion);
    const s = await r.sample('live');
    t.equal(s.meta.mode, 'consistent', 'a core is a stopped snapshot');
    t.same(s.meta.torn, [], 'not torn');
    const cmp = compareJson(s.memstats, formatMemStatsJson(d.theirs));
    const estimated = Object.keys(s.estimated);
    const offByMore = Object.keys(cmp.mismatches).filter((f) => {
      const q = s.estimated[f as (typeof MEMSTATS_U64_FIELDS)[number]];
      if (!q) return true;
      const a = s.memstats[f as (typeof MEMSTATS_U64_FIELDS)[number]];
      const b = d.theirs[f as (typeof MEMSTATS_U64_FIELDS)[number]];
      return (a > b ? a - b : b - a) > q.bound;
    });
    t.same(offByMore, [], `every field equal (or within its stated bound); mismatches: ${JSON.stringify(cmp.mismatches)}`);
    if (estimated.length === 0) t.ok(cmp.exact, 'JSON byte-identical to the fixture\'s json.Marshal of its own ReadMemStats');
    const again = await r.sample('consistent');
    t.equal(formatMemStatsJson(again.memstats), formatMemStatsJson(s.memstats), 'a second sample of a core is the same');
    if (build.variant === 'default' && build.toolchain === fixture().toolchain) {
      kept = { ...d, core: join(keepDir, 'core') };
      copyFileSync(d.core, kept.core);
    }
  });
}

t.test('a core from another build → build-ID mismatch, one line naming both', async (t) => {
  t.ok(kept, 'a core was kept from the default build');
  if (!kept) return;
  const other = fixtures().find((b) => b.variant === 'default' && b.goVersion !== fixture().goVersion)!;
  const err = await readCore({ core: kept.core, exe: other.path }, workDir(t)).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 'GO_ERR_CORE_BUILD_MISMATCH' });
  t.equal(toWireError(err).code, 'BAD_CORE', 'the protocol calls it BAD_CORE');
  t.match((err as Error).message, /not produced by .*Go build ID/);
  t.notMatch((err as Error).message, /\n/, 'one line');
});

t.test('truncated, non-ELF and executable-as-core files → BAD_CORE with the reason', async (t) => {
  t.ok(kept, 'a core was kept');
  if (!kept) return;
  const dir = workDir(t);
  const cut = join(dir, 'core.cut');
  copyFileSync(kept.core, cut);
  truncateSync(cut, Math.floor(statSync(cut).size / 3));
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a core\n');
  const fifo = join(dir, 'core.fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: Array<[string, string, RegExp]> = [
    ['truncated', cut, /truncated: \d+ of \d+ bytes/],
    ['not ELF', text, /not a core file/],
    ['an executable', kept.exe, /not a core dump/],
    ['missing', join(dir, 'nope'), /nope: no such file/],
    ['a FIFO', fifo, /is a FIFO; give the path of a regular file/],
    ['its executable missing', kept.core, /executable given with .*: .*nope-exe: no such file/],
  ];
  for (const [what, core, re] of cases) {
    const exe = what === 'its executable missing' ? join(dir, 'nope-exe') : kept.exe;
    const err = await readCore({ core, exe }, dir).then(() => undefined, (e: unknown) => e);
    t.equal(toWireError(err).code, what === 'a FIFO' ? 'BAD_REQUEST' : 'BAD_CORE', `${what}: ${toWireError(err).code}`);
    t.match((err as Error).message, re, `${what}: ${(err as Error).message}`);
  }
});

t.test('the bridge reads a core: subscribed, samples equal the fixture\'s own ReadMemStats', async (t) => {
  t.ok(kept, 'a core was kept');
  if (!kept) return;
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
  const sub = await c.request({ type: 'subscribe', id: 'k', target: { core: kept.core, exe: kept.exe }, intervalMs: 100 }, 'subscribed', 'k');
  t.equal(sub.type, 'subscribed', `subscribed: ${sub.type === 'error' ? sub.message : ''}`);
  if (sub.type !== 'subscribed') return;
  t.equal(sub.target.core, kept.core);
  t.equal(sub.target.pid, kept.pid);
  const s = await c.next('sample', (m) => m.subscription === 'k');
  const diff = MEMSTATS_U64_FIELDS.filter((f) => s.memstats[f] !== kept!.theirs[f] && !(f in s.meta.estimated));
  t.same(diff, [], 'the sample equals the fixture\'s ReadMemStats');
  const bad = await c.request({ type: 'subscribe', id: 'b', target: { core: join(keepDir, 'missing'), exe: kept.exe } }, 'subscribed', 'b');
  t.equal(bad.type === 'error' ? bad.code : bad.type, 'BAD_CORE');

  // Many spellings of the same core and executable are one target, one gdb.
  const link = join(workDir(t), 'core-link');
  symlinkSync(kept.core, link);
  const spellings = [`${keepDir}/./core`, `${keepDir}//core`, `${keepDir}/../${basename(keepDir)}/core`, link];
  for (const [i, core] of spellings.entries()) {
    const r = await c.request({ type: 'subscribe', id: `sp${i}`, target: { core, exe: kept.exe }, intervalMs: 100 }, 'subscribed', `sp${i}`);
    t.equal(r.type, 'subscribed', `spelling ${core}`);
  }
  t.equal(bridge.manager.targetCount, 1, `${spellings.length + 1} subscriptions, one target (one gdb)`);
  // The same core with another executable is another target, refused on its own merits.
  const other = fixtures().find((b) => b.variant === 'default' && b.goVersion !== fixture().goVersion)!;
  const mismatch = await c.request({ type: 'subscribe', id: 'x', target: { core: kept.core, exe: other.path } }, 'subscribed', 'x');
  t.equal(mismatch.type === 'error' ? mismatch.code : mismatch.type, 'BAD_CORE', 'another exe is not given the open session');
  t.equal(bridge.manager.targetCount, 1, 'and starts no gdb');
});

t.test('mstat --core CORE --exe BIN: every format; wrong binary → 6; bad core → 3; no --exe → 2', async (t) => {
  t.ok(kept, 'a core was kept');
  if (!kept) return;
  const env = { MSTAT_CACHE_DIR: workDir(t) };
  const json = await runMstat(['--core', kept.core, '--exe', kept.exe], { env });
  t.equal(json.code, 0, `json: ${json.stderr}`);
  t.equal(json.stdout, formatMemStatsJson(kept.theirs) + '\n', 'byte-identical to the fixture\'s json.Marshal of its own ReadMemStats');
  const text = await runMstat(['--core', kept.core, '--exe', kept.exe, '--format', 'text'], { env });
  t.match(text.stdout, new RegExp(`^HeapAlloc = ${kept.theirs.HeapAlloc}$`, 'm'), 'text');
  const pprof = await runMstat(['--core', kept.core, '--exe', kept.exe, '--format', 'pprof'], { env });
  t.match(pprof.stdout, new RegExp(`^# runtime.MemStats\\n# Alloc = ${kept.theirs.Alloc}\\n`, 'm'), 'pprof');
  const prom = await runMstat(['--core', kept.core, '--exe', kept.exe, '--format', 'prom'], { env });
  t.match(prom.stdout, new RegExp(`^go_memstats_heap_alloc_bytes\\{[^}]*\\} ${kept.theirs.HeapAlloc}$`, 'm'), 'prom');
  const other = fixtures().find((b) => b.variant === 'default' && b.goVersion !== fixture().goVersion)!;
  const wrong = await runMstat(['--core', kept.core, '--exe', other.path], { env });
  t.equal(wrong.code, 6, `wrong binary: ${wrong.stderr.trim()}`);
  t.equal(wrong.stderr.trim().split('\n').length, 1, 'one line');
  const bad = await runMstat(['--core', kept.exe, '--exe', kept.exe], { env });
  t.equal(bad.code, 3, `an executable as the core: ${bad.stderr.trim()}`);
  const usage = await runMstat(['--core', kept.core], { env });
  t.equal(usage.code, 2, usage.stderr.trim());
});
