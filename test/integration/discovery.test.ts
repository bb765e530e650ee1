// bridge/targets/discovery.ts against real processes: memhog builds that are and are not
// attachable, a non-Go process, a target traced by our own MI client, and (as root) the
// listing seen by an unprivileged user.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import { clearDiscoveryCache, discoveryCacheSize, listGoProcesses } from '../../bridge/targets/discovery.ts';
import { TargetListingSchema, type TargetListing } from '../../protocol/target.ts';
import { openTestGdb } from '../support/gdb.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { holdBuildDirShared } from '../support/go-targets.ts';
import { fixture, type FixtureBuild } from '../../scripts/kit/fixtures.ts';
import { fullyDetached } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

const builds = {
  default: fixture({ toolchain: '1.26' }),
  nodwarf: fixture({ toolchain: '1.26', variant: 'nodwarf' }),
  stripped: fixture({ toolchain: '1.26', variant: 'stripped' }),
  go119: fixture({ toolchain: '1.19' }),
};

const scratch = mkdtempSync(join(tmpdir(), 'discovery-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

holdBuildDirShared(t);

/**
 * A copy of the Go 1.19 build whose .go.buildinfo claims go1.18.8 (same length, inline
 * form): the process runs as before, but discovery must call its toolchain unsupported.
 */
async function fakeGo118(): Promise<FixtureBuild> {
  const src = builds.go119;
  const elf = await readElfInfo(src.path);
  const sec = elf.sections.find((s) => s.name === '.go.buildinfo');
  if (!sec) throw new Error(`${src.path} has no .go.buildinfo`);
  const bytes = readFileSync(src.path);
  const from = Number(sec.offset);
  const at = bytes.indexOf(Buffer.from(src.goVersion, 'latin1'), from);
  if (at < 0 || at >= from + Number(sec.size)) throw new Error(`${src.goVersion} not found in .go.buildinfo`);
  const fake = src.goVersion.replace('go1.19', 'go1.18');
  bytes.write(fake, at, 'latin1');
  const path = join(scratch, 'memhog-fake-go1.18');
  writeFileSync(path, bytes);
  chmodSync(path, 0o755);
  return { ...src, goVersion: fake, toolchain: '1.18', path };
}

async function startTarget(t: { teardown(fn: () => unknown): void }, build: FixtureBuild): Promise<GoTarget> {
  const target = await GoTarget.start(build);
  t.teardown(() => target.stop());
  return target;
}

function startSleep(t: { teardown(fn: () => unknown): void }): ChildProcess {
  const p = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    p.kill('SIGKILL');
  });
  return p;
}

function byPid(list: TargetListing[], pid: number): TargetListing | undefined {
  return list.find((e) => e.pid === pid);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

t.test('lists Go processes with version, attachability and reason', async (t) => {
  const go118 = await fakeGo118();
  const [def, nodwarf, stripped, go119, old] = await Promise.all([
    startTarget(t, builds.default),
    startTarget(t, builds.nodwarf),
    startTarget(t, builds.stripped),
    startTarget(t, builds.go119),
    startTarget(t, go118),
  ]);
  const sleeper = startSleep(t);
  t.ok(await until(() => { try { return readlinkSync(`/proc/${sleeper.pid}/exe`).endsWith('/sleep'); } catch { return false; } }), 'sleep has exec’d');

  clearDiscoveryCache();
  const cold = await timed(() => listGoProcesses({ self: process.pid }));
  const warmRuns: Array<{ value: TargetListing[]; ms: number }> = [];
  for (let i = 0; i < 5; i++) warmRuns.push(await timed(() => listGoProcesses({ self: process.pid })));
  const warm = warmRuns[warmRuns.length - 1]!;
  const warmMs = warmRuns.map((r) => r.ms);
  const procs = readFileSync('/proc/loadavg', 'utf8').split(' ')[3];
  t.comment(
    `listing: ${cold.ms.toFixed(1)} ms cold (ELF parsed); warm (cached) ${warmMs.map((ms) => ms.toFixed(1)).join(' / ')} ms; ` +
      `${cold.value.length} Go processes; running/total tasks ${procs}`,
  );
  t.ok(discoveryCacheSize() > 0, `ELF results cached (${discoveryCacheSize()} executables)`);

  const list = cold.value;
  for (const e of list) t.ok(TargetListingSchema.safeParse(e).success, `entry for ${e.pid} matches TargetListingSchema`);
  t.same(
    list.map((e) => e.pid),
    [...list.map((e) => e.pid)].sort((a, b) => a - b),
    'PID order',
  );
  t.notOk(byPid(list, sleeper.pid!), 'sleep (not Go) is not listed');
  t.notOk(byPid(list, process.pid), 'self is excluded');
  t.ok(list.every((e) => e.attached === false), 'attached is left false for the caller');

  t.same(byPid(list, def.pid), { pid: def.pid, exe: builds.default.path, goVersion: builds.default.goVersion, attachable: true, attached: false }, 'default build: attachable');
  t.same(byPid(list, go119.pid), { pid: go119.pid, exe: builds.go119.path, goVersion: 'go1.19.8', attachable: true, attached: false }, 'Go 1.19: attachable');
  t.match(byPid(list, nodwarf.pid), { exe: builds.nodwarf.path, goVersion: builds.nodwarf.goVersion, attachable: false, reason: /^no DWARF \(-ldflags=-w\); needs an unstripped copy \(exe\)$/ }, 'nodwarf');
  t.match(byPid(list, stripped.pid), { exe: builds.stripped.path, goVersion: builds.stripped.goVersion, attachable: false, reason: /^stripped .*needs an unstripped copy \(exe\)$/ }, 'stripped');
  t.match(byPid(list, old.pid), { exe: go118.path, goVersion: go118.goVersion, attachable: false, reason: `Go ${go118.goVersion} unsupported (needs go1.19+)` }, 'Go 1.18: unsupported');

  // The warm listing agrees for our fixtures.
  for (const pid of [def.pid, nodwarf.pid, stripped.pid, go119.pid, old.pid]) t.same(byPid(warm.value, pid), byPid(list, pid), `warm listing agrees for ${pid}`);
  t.notOk(byPid(await listGoProcesses(), process.pid), 'without self the test runner (Node) is still absent: not Go');
});

t.test('a target traced by another gdb is not attachable until that gdb is gone', async (t) => {
  const target = await startTarget(t, builds.default);
  const gdb = await openTestGdb(t);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  t.equal(readProcStatus(target.pid)?.tracerPid, gdb.pid, 'gdb is the tracer');

  // Seen by another program (no `self`): someone else's gdb holds the target.
  const traced = byPid(await listGoProcesses(), target.pid);
  t.match(traced, { attachable: false, reason: `already traced by PID ${gdb.pid}` }, 'foreign tracer reported');
  t.equal(traced?.goVersion, builds.default.goVersion, 'still identified');

  // Seen by the bridge that runs that gdb: its own attach, not a foreign tracer.
  const expectOwn = { pid: target.pid, exe: builds.default.path, goVersion: builds.default.goVersion, attachable: true, attached: false };
  t.same(byPid(await listGoProcesses({ self: process.pid }), target.pid), expectOwn, 'a gdb descending from `self` is the bridge’s own');
  t.same(byPid(await listGoProcesses({ ownTracers: [gdb.pid] }), target.pid), expectOwn, 'ownTracers names it explicitly');

  await gdb.close({ graceMs: 2000 });
  t.equal(await until(() => fullyDetached(target.pid)), true, 'TracerPid 0 after close');
  const after = byPid(await listGoProcesses(), target.pid);
  t.match(after, { attachable: true }, 'attachable again');
  t.notOk(after?.reason, 'no reason');
});

t.test('as an unprivileged user: own processes attachable, others permission denied', async (t) => {
  // The suite runs as root (ptrace of every fixture needs it); not being root is a setup error.
  if (process.geteuid?.() !== 0) throw new Error('this test switches to user nobody: run the suite as root');
  const rootTarget = await startTarget(t, builds.default);
  // A memhog of user nobody (no -control: it runs until stdin EOF or its deadline).
  const mine = spawn(builds.default.path, ['-deadline', '60s'], { uid: 65534, gid: 65534, stdio: ['pipe', 'ignore', 'ignore'] });
  t.teardown(() => {
    mine.kill('SIGKILL');
  });
  t.ok(
    await until(() => {
      try {
        return readlinkSync(`/proc/${mine.pid}/exe`) === builds.default.path;
      } catch {
        return false;
      }
    }),
    'nobody’s memhog has exec’d',
  );

  const script = `import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'bridge', 'targets', 'discovery.ts'))}).then((m) => m.listGoProcesses()).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'),
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH, HOME: tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  t.equal(code, 0, `the listing runs as nobody (${err.split('\n')[0] ?? ''})`);
  if (code !== 0) return;
  const list = JSON.parse(out) as TargetListing[];
  let yama: number | undefined;
  try {
    yama = Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim());
  } catch {
    yama = undefined;
  }
  const expectMine = yama === undefined || yama === 0 ? { attachable: true } : { attachable: false, reason: /permission denied/ };
  t.match(byPid(list, mine.pid!), { exe: builds.default.path, goVersion: builds.default.goVersion, ...expectMine }, `own process (yama ${yama ?? 'absent'})`);
  t.match(
    byPid(list, rootTarget.pid),
    { exe: builds.default.path, goVersion: builds.default.goVersion, attachable: false, reason: /^permission denied/ },
    'root’s process: found through argv[0], not attachable',
  );
});
