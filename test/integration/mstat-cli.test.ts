// The `mstat` one-shot CLI as a black box: a subprocess against real Go targets.
// - success: its stdout equals the target's own json.Marshal(runtime.MemStats) byte for byte
//   (live and consistent), and the text and pprof formats carry the same values;
// - the layout cache: a second run against the same build resolves no layout;
// - every error path: the documented exit status, one `mstat: ` line on stderr that says what
//   is wrong and how to fix it, nothing on stdout, and the target left running, untraced and
//   responsive;
// - SIGINT in the middle of a run (during the attach, a live read, a consistent-mode stop):
//   exit 130, gdb gone, the target running and untraced.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';
import { deadPid, estimatedFields, lines, logRecords, MSTAT_SCRIPT, patchGoVersion, REPO_ROOT, runMstat, tempDir, type CliResult } from '../support/cli.ts';
import { createTempUser } from '../../scripts/kit/temp-user.ts';
import { jsonFields, prepareQuietScenario, rawMemStatsJson } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture, type FixtureBuild } from '../../scripts/kit/fixtures.ts';
import { threadStates } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

// The whole file runs ~40 subprocess CLIs (each a tsx start plus, mostly, a gdb) on top of
// the targets; on a loaded 2-CPU machine that can exceed the default per-file timeout.
t.setTimeout(300_000);

/** Exit statuses as the usage text lists them (checked against `--help` below). */
const EXIT = { ok: 0, usage: 2, notReadable: 3, ptrace: 4, gdb: 5, buildId: 6 } as const;

/** Fields the CLI may only estimate (it says so on stderr, with a bound). */
const ESTIMABLE = new Set(['MSpanInuse', 'GCSys', 'OtherSys', 'Sys', 'NextGC']);

const newest = fixture(); // the newest toolchain's default build
const go126 = fixture({ toolchain: '1.26' });

/** A tap subtest (the type of the callback's `t`). */
type Asserts = Parameters<Parameters<typeof t.test>[0]>[0];

async function startTarget(t: Asserts, build: FixtureBuild, args: string[] = []): Promise<GoTarget> {
  const go = await GoTarget.start(build, args);
  t.teardown(() => go.stop());
  return go;
}

/** Fresh, empty MSTAT_CACHE_DIR for one test. */
function cacheEnv(t: Asserts): { MSTAT_CACHE_DIR: string } {
  return { MSTAT_CACHE_DIR: tempDir(t, 'mstat-cli-cache-') };
}

function describe(r: CliResult): string {
  // Debug/trace runs: only the lines that are not pino JSON, and the last log lines.
  const all = lines(r.stderr);
  const plain = all.filter((l) => !l.startsWith('{"level":'));
  const logs = all.length - plain.length;
  const shown = logs > 0 ? [...plain, ...all.filter((l) => l.startsWith('{"level":')).slice(-3).map((l) => l.slice(0, 300))] : plain;
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''} after ${r.ms.toFixed(0)} ms; stderr${logs > 0 ? ` (${logs} log lines; last 3)` : ''}: ${JSON.stringify(shown.join('\n').slice(0, 3000))}`;
}

/** An error run: the exit status, one `mstat: ` line naming the problem and the fix, empty stdout. */
function expectError(t: Asserts, r: CliResult, code: number, keywords: RegExp[]): void {
  t.equal(r.code, code, `exit status ${code} (${describe(r)})`);
  t.equal(r.stdout, '', 'nothing on stdout');
  const ls = lines(r.stderr);
  t.equal(ls.length, 1, `exactly one line on stderr: ${JSON.stringify(r.stderr)}`);
  t.match(r.stderr, /^mstat: [^\n]+\n$/, 'it starts with "mstat: " and ends with a newline');
  for (const k of keywords) t.match(ls[0] ?? '', k, `stderr mentions ${k}`);
}

/**
 * The target kept running: not stopped (no thread in T/t), not traced, its 1 ms progress
 * counter still advancing (when it has heartbeats), and it answers a command.
 */
async function expectUntouched(t: Asserts, go: GoTarget, heartbeats = true): Promise<void> {
  const st = readProcStatus(go.pid);
  t.ok(st && st.state !== 'T' && st.state !== 't' && st.state !== 'Z', `target ${go.pid} not stopped (State ${st?.state})`);
  t.equal(st?.tracerPid, 0, 'target not traced (TracerPid 0)');
  const stopped = threadStates(go.pid).filter((s) => s === 'T' || s === 't');
  t.same(stopped, [], 'no thread of the target is stopped');
  if (heartbeats) {
    const a = await go.nextHeartbeat();
    await sleep(100);
    const b = await go.nextHeartbeat();
    t.ok(b > a, `main.counter advances (${a} → ${b} over ≥100 ms)`);
  }
  const reply = await go.command('memstats');
  t.equal(reply.event, 'memstats', 'the target still answers a memstats command');
}

function memstatsObject(json: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(json) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/**
 * Ours vs theirs, as field → value text; a difference is allowed only for an estimable
 * field the CLI flagged on stderr, and only within its bound. Returns the violations.
 */
function compareFields(ours: Map<string, string>, theirs: Map<string, string>, est: Map<string, bigint>, pick: (f: string) => boolean = () => true): Record<string, string> {
  const bad: Record<string, string> = {};
  for (const [f, mine] of ours) {
    if (!pick(f)) continue;
    const their = theirs.get(f);
    if (their === undefined) {
      bad[f] = `${mine} vs (missing)`;
      continue;
    }
    if (mine === their) continue;
    const bound = est.get(f);
    if (ESTIMABLE.has(f) && bound !== undefined && /^\d+$/.test(mine) && /^\d+$/.test(their) && abs(BigInt(mine) - BigInt(their)) <= bound) continue;
    if (f === 'GCCPUFraction' && Number(mine) === Number(their)) continue; // %v vs JSON float text
    bad[f] = `${mine} vs ${their}${bound !== undefined ? ` (flagged ±${bound})` : ''}`;
  }
  return bad;
}

/** stderr of a successful run: only `estimated` lines (and the pause line in consistent mode). */
function expectQuietStderr(t: Asserts, r: CliResult, consistent: boolean): void {
  for (const l of lines(r.stderr)) {
    t.match(l, /^mstat: (\w+ is estimated \(±\d+ bytes\): .+|target paused for \d+\.\d\d ms)$/, `stderr line is an estimate note${consistent ? ' or the pause' : ''}: ${l}`);
  }
  const pause = /^mstat: target paused for (\d+\.\d\d) ms$/m.exec(r.stderr);
  if (consistent) t.ok(pause && Number(pause[1]) > 0, `consistent mode reports the pause (${pause?.[1]} ms)`);
  else t.equal(pause, null, 'live mode reports no pause');
}

// ---------------------------------------------------------------------------- success

t.test(`success (${newest.goVersion}): stdout == the target's own json.Marshal(ReadMemStats), all formats`, async (t) => {
  const env = cacheEnv(t);
  const go = await startTarget(t, newest, ['-heartbeat', '0']);
  const pid = String(go.pid);
  // GC history, freed stacks in the stack caches, partly used spans in the mcaches; then
  // every worker parks so nothing but the runtime allocates.
  await prepareQuietScenario(go);

  // Quiet: two CLI readings 200 ms apart are identical (sweeper and scavenger done).
  let prev = '';
  let quiet = false;
  let runs = 0;
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const r = await runMstat(['--pid', pid, '--format', 'json'], { env });
    runs++;
    if (r.code !== 0) {
      t.equal(r.code, 0, `quiet-wait run succeeds (${describe(r)})`);
      return;
    }
    if (r.stdout === prev && !/torn/.test(r.stderr)) {
      quiet = true;
      break;
    }
    prev = r.stdout;
    await sleep(200);
  }
  t.ok(quiet, `target quiet after ${runs} CLI runs`);

  for (const mode of ['live', 'consistent'] as const) {
    // Stopping every thread (consistent mode, or the attach itself) can make the Go scheduler
    // start a new M once it resumes (a g0 stack, an m, a few objects) between our read and the
    // target's ReadMemStats. That is the target changing, not a decoding error; a round whose
    // next reading differs is retried (bounded), once the new thread exists it does not recur.
    let r = await runMstat(['--pid', pid, '--mode', mode], { env });
    let theirs = rawMemStatsJson(await go.command('memstats'));
    for (let round = 1; round < 3 && r.stdout.replace(/\n$/, '') !== theirs && r.code === 0; round++) {
      t.comment(`${mode}: round ${round} differed (the target changed meanwhile); reading again`);
      r = await runMstat(['--pid', pid, '--mode', mode], { env });
      theirs = rawMemStatsJson(await go.command('memstats'));
    }
    t.equal(r.code, EXIT.ok, `${mode}: exit 0 (${describe(r)})`);
    t.match(r.stdout, /^\{[^\n]*\}\n$/, `${mode}: stdout is exactly one JSON line`);
    const ours = r.stdout.replace(/\n$/, '');
    t.ok(memstatsObject(ours), `${mode}: stdout parses as JSON`);
    expectQuietStderr(t, r, mode === 'consistent');
    const est = estimatedFields(r.stderr);
    const a = jsonFields(ours);
    const b = jsonFields(theirs);
    t.same([...a.keys()], [...b.keys()], `${mode}: the same fields in the same order as json.Marshal`);
    t.same(compareFields(a, b, est), {}, `${mode}: every field equal (or within its flagged bound)`);
    if (est.size === 0) t.equal(ours, theirs, `${mode}: byte-identical to the target's json.Marshal(MemStats)`);
    else t.comment(`${mode}: estimated ${[...est].map(([f, b]) => `${f} ±${b}`).join(', ')}`);
  }

  // text: `Field = value` lines; every scalar equals the target's own value.
  {
    const r = await runMstat(['--pid', pid, '--format', 'text'], { env });
    const theirs = jsonFields(rawMemStatsJson(await go.command('memstats')));
    t.equal(r.code, EXIT.ok, `text: exit 0 (${describe(r)})`);
    expectQuietStderr(t, r, false);
    const ls = lines(r.stdout);
    t.match(ls[0] ?? '', /^Alloc = \d+$/, 'text: first line is `Alloc = <n>`');
    for (const l of ls) t.match(l, /^\w+(\[\d+\])? = \S/, `text: a "Field = value" line: ${l.slice(0, 80)}`);
    const scalars = new Map<string, string>();
    for (const l of ls) {
      const m = /^(\w+) = (\d+(?:\.\d+)?(?:e[+-]\d+)?|true|false)$/.exec(l);
      if (m) scalars.set(m[1]!, m[2]!);
    }
    for (const f of ['Alloc', 'TotalAlloc', 'Sys', 'Mallocs', 'Frees', 'HeapAlloc', 'HeapObjects', 'StackInuse', 'NextGC', 'LastGC', 'NumGC', 'GCCPUFraction', 'EnableGC']) {
      t.ok(scalars.has(f), `text: has ${f}`);
    }
    t.ok(scalars.size >= 28, `text: ${scalars.size} scalar fields`);
    t.same(compareFields(scalars, theirs, estimatedFields(r.stderr)), {}, 'text: every scalar equals the target\'s ReadMemStats (or is within its flagged bound)');
  }

  // pprof: the `# runtime.MemStats` block, `# MaxRSS = ` last.
  {
    const r = await runMstat(['--pid', pid, '--format', 'pprof'], { env });
    const theirs = jsonFields(rawMemStatsJson(await go.command('memstats')));
    t.equal(r.code, EXIT.ok, `pprof: exit 0 (${describe(r)})`);
    expectQuietStderr(t, r, false);
    const ls = lines(r.stdout);
    t.equal(ls[0], '# runtime.MemStats', 'pprof: starts with `# runtime.MemStats`');
    t.match(ls[ls.length - 1] ?? '', /^# MaxRSS = [1-9]\d*$/, 'pprof: `# MaxRSS = <n>` is the last line');
    const hwm = BigInt(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${go.pid}/status`, 'utf8'))?.[1] ?? '0') * 1024n;
    const maxRss = BigInt(/^# MaxRSS = (\d+)$/m.exec(r.stdout)?.[1] ?? '0');
    t.ok(maxRss > 0n && maxRss <= hwm, `pprof: MaxRSS ${maxRss} is the target's VmHWM (now ${hwm})`);
    const vals = new Map<string, string>();
    for (const l of ls.slice(1, -1)) {
      const pair = /^# (Stack|MSpan|MCache) = (\d+) \/ (\d+)$/.exec(l);
      const one = /^# (\w+) = (.+)$/.exec(l);
      if (pair) {
        vals.set(`${pair[1]}Inuse`, pair[2]!);
        vals.set(`${pair[1]}Sys`, pair[3]!);
      } else if (one) {
        vals.set(one[1]!, one[2]!.startsWith('[') ? one[2]!.replaceAll(' ', ',') : one[2]!);
      } else t.ok(false, `pprof: unexpected line ${l.slice(0, 80)}`);
    }
    t.ok(vals.size >= 25, `pprof: ${vals.size} values`);
    t.ok(vals.has('PauseNs') && vals.has('NumGC') && vals.has('HeapAlloc'), 'pprof: has PauseNs, NumGC, HeapAlloc');
    t.same(compareFields(vals, theirs, estimatedFields(r.stderr)), {}, 'pprof: every value equals the target\'s ReadMemStats (or is within its flagged bound)');
  }
});

// ------------------------------------------------------------------------ layout cache

t.test(`layout cache: the second run against the same build resolves no layout (${go126.goVersion})`, async (t) => {
  const env = cacheEnv(t);
  const go = await startTarget(t, go126);
  t.same(readdirSync(env.MSTAT_CACHE_DIR), [], 'the cache dir starts empty');

  const ready = (r: CliResult): Array<Record<string, unknown>> => logRecords(r.stderr).filter((l) => l.msg === 'layout ready');
  const first = await runMstat(['--pid', String(go.pid), '--log-level', 'debug'], { env });
  t.equal(first.code, EXIT.ok, `first run: exit 0 (${describe(first)})`);
  t.ok(memstatsObject(first.stdout), 'first run: stdout is the JSON (logs go to stderr)');
  const layoutsDir = join(env.MSTAT_CACHE_DIR, 'layouts');
  const files = existsSync(layoutsDir) ? readdirSync(layoutsDir) : [];
  t.equal(files.length, 1, `first run created one cache file under $MSTAT_CACHE_DIR/layouts/ (${files.join(', ')})`);
  t.match(files[0] ?? '', /^[0-9a-f]{32}\.json$/, 'named by the hashed build ID');
  const file = join(layoutsDir, files[0] ?? 'missing');
  const buildId = (await readElfInfo(go126.path)).goBuildId;
  t.equal((memstatsObject(readFileSync(file, 'utf8')) ?? {}).buildId, buildId, 'the cache entry is for the target\'s Go build ID');
  const mtime = statSync(file).mtimeMs;
  const r1 = ready(first);
  t.equal(r1.length, 1, 'first run: one `layout ready` debug log line');
  t.equal(r1[0]?.cached, false, 'first run: cached false');
  t.ok(typeof r1[0]?.commands === 'number' && r1[0].commands > 0, `first run: resolved the layout with ${String(r1[0]?.commands)} MI commands`);
  t.equal(r1[0]?.buildId, buildId, 'first run: logged the build ID');

  const second = await runMstat(['--pid', String(go.pid), '--log-level', 'debug'], { env });
  t.equal(second.code, EXIT.ok, `second run: exit 0 (${describe(second)})`);
  t.ok(memstatsObject(second.stdout), 'second run: stdout is the JSON');
  const r2 = ready(second);
  t.equal(r2.length, 1, 'second run: one `layout ready` debug log line');
  t.equal(r2[0]?.cached, true, 'second run: cached true');
  t.equal(r2[0]?.commands, 0, 'second run: 0 MI commands for the layout');
  t.equal(statSync(file).mtimeMs, mtime, 'second run did not rewrite the cache file');
  t.same(readdirSync(layoutsDir), files, 'no other file appeared in the cache');
  t.comment(`wall time: first run ${first.ms.toFixed(0)} ms (layout resolved, ${String(r1[0]?.commands)} MI commands), second run ${second.ms.toFixed(0)} ms (layout from the cache)`);
  await expectUntouched(t, go);
});

// ---------------------------------------------------------------------------- errors

t.test('error: no such process → 3', async (t) => {
  const pid = await deadPid();
  t.notOk(existsSync(`/proc/${pid}`), `PID ${pid} is free`);
  const r = await runMstat(['--pid', String(pid)], { env: cacheEnv(t) });
  expectError(t, r, EXIT.notReadable, [/no process/, new RegExp(`\\b${pid}\\b`), /has it exited/]);
});

t.test('error: not a Go program → 3', async (t) => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((r) => sleeper.on('exit', r));
  t.teardown(async () => {
    sleeper.kill('SIGKILL');
    await gone;
  });
  await until(() => readProcStatus(sleeper.pid!)?.state === 'S', 5000);
  const r = await runMstat(['--pid', String(sleeper.pid)], { env: cacheEnv(t) });
  expectError(t, r, EXIT.notReadable, [/not a Go program/, /sleep/]);
  const st = readProcStatus(sleeper.pid!);
  t.equal(st?.state, 'S', 'sleep still sleeping (not stopped)');
  t.equal(st?.tracerPid, 0, 'sleep not traced');
  t.equal(sleeper.exitCode, null, 'sleep still running');
});

t.test('error: built with -ldflags=-w (no DWARF) → 3', async (t) => {
  const go = await startTarget(t, fixture({ toolchain: '1.26', variant: 'nodwarf' }));
  const r = await runMstat(['--pid', String(go.pid)], { env: cacheEnv(t) });
  expectError(t, r, EXIT.notReadable, [/DWARF/, /--exe/, /-ldflags=-w/]);
  await expectUntouched(t, go);
});

t.test("error: built with -ldflags='-s -w' (no symbols) → 3", async (t) => {
  const go = await startTarget(t, fixture({ toolchain: '1.26', variant: 'stripped' }));
  const r = await runMstat(['--pid', String(go.pid)], { env: cacheEnv(t) });
  expectError(t, r, EXIT.notReadable, [/symbol table/, /--exe/, /-s -w/]);
  await expectUntouched(t, go);
});

for (const strip of ['--strip-all', '--strip-debug'] as const) {
  t.test(`--exe: a target stripped with objcopy ${strip} is readable with the unstripped original`, async (t) => {
    const dir = tempDir(t);
    const copy = join(dir, `memhog${strip.replace('--', '-')}`);
    execFileSync('objcopy', [strip, go126.path, copy]);
    const orig = await readElfInfo(go126.path);
    const info = await readElfInfo(copy);
    t.ok(orig.goBuildId, 'the original has a Go build ID');
    t.equal(info.goBuildId, orig.goBuildId, 'objcopy kept .note.go.buildid');
    t.equal(info.hasDwarf, false, 'the copy has no DWARF');
    t.equal(info.hasSymtab, strip === '--strip-debug', `the copy ${strip === '--strip-debug' ? 'keeps' : 'has no'} .symtab`);

    const go = await startTarget(t, { ...go126, path: copy }, ['-heartbeat', '0']);
    const env = cacheEnv(t);
    const without = await runMstat(['--pid', String(go.pid)], { env });
    expectError(t, without, EXIT.notReadable, [strip === '--strip-all' ? /symbol table/ : /DWARF/, /--exe/]);
    await expectUntouched(t, go, false);

    const withExe = await runMstat(['--pid', String(go.pid), '--exe', go126.path], { env });
    const theirs = jsonFields(rawMemStatsJson(await go.command('memstats')));
    t.equal(withExe.code, EXIT.ok, `--exe ${go126.path}: exit 0 (${describe(withExe)})`);
    t.match(withExe.stdout, /^\{[^\n]*\}\n$/, 'one JSON line on stdout');
    const ms = memstatsObject(withExe.stdout);
    t.ok(ms, 'stdout parses as JSON');
    t.same([...jsonFields(withExe.stdout.trim()).keys()], [...theirs.keys()], 'the fields of json.Marshal(MemStats), in order');
    // The target runs (not quiet): structural values, not exact ones.
    t.equal(ms?.EnableGC, true, 'EnableGC true');
    t.equal(ms?.Alloc, ms?.HeapAlloc, 'Alloc == HeapAlloc');
    t.ok(Number(ms?.NumGC) > 0 && Number(ms?.NumGC) <= Number(theirs.get('NumGC')), `NumGC ${String(ms?.NumGC)} (target now ${theirs.get('NumGC')})`);
    t.ok(Number(ms?.HeapSys) > 0 && Number(ms?.HeapInuse) <= Number(ms?.HeapSys), 'HeapInuse <= HeapSys');
    await expectUntouched(t, go, false);
  });
}

t.test('error: --exe of a different build → 6', async (t) => {
  const go = await startTarget(t, go126);
  const other = fixture({ toolchain: '1.23' });
  const r = await runMstat(['--pid', String(go.pid), '--exe', other.path], { env: cacheEnv(t) });
  expectError(t, r, EXIT.buildId, [/build ID/, /--exe/, /same build/]);
  await expectUntouched(t, go);
});

t.test('error: unsupported Go version (go1.18.8 in .go.buildinfo) → 3', async (t) => {
  const base = fixture({ toolchain: '1.19' });
  t.equal(base.goVersion, 'go1.19.8', 'the 1.19 fixture is go1.19.8');
  const patched = join(tempDir(t), 'memhog-go1.18.8');
  await patchGoVersion(base.path, patched, 'go1.19.8', 'go1.18.8');
  t.equal((await readElfInfo(patched)).goVersion, 'go1.18.8', 'the copy now says go1.18.8');
  const go = await startTarget(t, { ...base, path: patched });
  const r = await runMstat(['--pid', String(go.pid)], { env: cacheEnv(t) });
  expectError(t, r, EXIT.notReadable, [/go1\.18\.8/, /Go 1\.19/]);
  await expectUntouched(t, go);
});

t.test('error: ptrace not permitted (unprivileged user vs a root-owned target) → 4', async (t) => {
  t.equal(process.getuid?.(), 0, 'the test runs as root (it creates a user)');
  const user = createTempUser();
  t.teardown(() => user.remove());
  const home = tempDir(t, 'mstat-cli-home-');
  chownSync(home, user.uid, user.gid);
  // The user must reach the repository: every parent directory traversable, files readable.
  const parents: string[] = [];
  for (let d = REPO_ROOT; d !== dirname(d); d = dirname(d)) parents.push(d);
  const modes = parents.map((d) => `${d} ${(statSync(d).mode & 0o777).toString(8)}`).join(', ');
  let canRead = true;
  try {
    execFileSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', 'test', '-r', MSTAT_SCRIPT, '-a', '-r', join(REPO_ROOT, 'node_modules', 'tsx', 'package.json')], { stdio: 'pipe' });
  } catch {
    canRead = false;
  }
  t.ok(canRead, `user ${user.name} can read clients/cli/mstat.ts and node_modules (directory modes: ${modes})`);

  const go = await startTarget(t, go126);
  t.equal(statSync(`/proc/${go.pid}`).uid, 0, 'the target runs as root');
  const r = await runMstat(['--pid', String(go.pid)], {
    asUser: { uid: user.uid, gid: user.gid },
    env: { HOME: home, MSTAT_CACHE_DIR: join(home, 'cache'), XDG_CACHE_HOME: undefined },
  });
  expectError(t, r, EXIT.ptrace, [/not permitted/, /ptrace_scope/, /CAP_SYS_PTRACE/, new RegExp(`\\b${go.pid}\\b`)]);
  await expectUntouched(t, go);
});

t.test('error: CAP_SYS_PTRACE without CAP_DAC_OVERRIDE (another user\'s /proc/PID/mem) → 4 before gdb starts', async (t) => {
  const user = createTempUser();
  t.teardown(() => user.remove());
  const home = tempDir(t, 'mstat-cli-home-');
  chownSync(home, user.uid, user.gid);
  const go = await startTarget(t, go126);
  // The ptrace check passes with the capability; only the memory file's mode stands in the way.
  const r = await runMstat(['--pid', String(go.pid)], {
    asUser: { uid: user.uid, gid: user.gid, caps: ['sys_ptrace'] },
    env: { HOME: home, MSTAT_CACHE_DIR: join(home, 'cache'), XDG_CACHE_HOME: undefined },
  });
  expectError(t, r, EXIT.ptrace, [new RegExp(`/proc/${go.pid}/mem`), /CAP_DAC_OVERRIDE/, /uid 0/]);
  t.notMatch(r.stderr, /Unable to read memory/, 'refused before gdb tried');
  await expectUntouched(t, go);
});

t.test('error: gdb missing (MSTAT_GDB=/nonexistent/gdb) → 5', async (t) => {
  const go = await startTarget(t, go126);
  const r = await runMstat(['--pid', String(go.pid)], { env: { ...cacheEnv(t), MSTAT_GDB: '/nonexistent/gdb' } });
  expectError(t, r, EXIT.gdb, [/gdb/, /\/nonexistent\/gdb/, /apt-get install gdb/, /MSTAT_GDB/]);
  await expectUntouched(t, go);
});

t.test('usage', async (t) => {
  const help = await runMstat(['--help']);
  t.equal(help.code, EXIT.ok, `--help: exit 0 (${describe(help)})`);
  t.equal(help.stderr, '', '--help: nothing on stderr');
  t.match(help.stdout, /^usage: mstat --pid PID /, '--help: usage on stdout');
  t.match(
    help.stdout,
    /exit status: 0 ok; 1 read failed or target exited; 2 usage; 3 target not readable\s+\(no such process, not Go, stripped, unsupported Go\); 4 ptrace not permitted;\s+5 gdb missing or unsupported; 6 buil[dt]-ID mismatch with --exe/,
    '--help: lists the exit statuses this file checks',
  );

  const noPid = await runMstat([]);
  t.equal(noPid.code, EXIT.usage, `no --pid: exit 2 (${describe(noPid)})`);
  t.equal(noPid.stdout, '', 'no --pid: nothing on stdout');
  t.match(lines(noPid.stderr)[0] ?? '', /^mstat: --pid PID is required/, 'no --pid: says --pid is required');
  t.match(noPid.stderr, /^usage: mstat --pid PID/m, 'no --pid: the usage follows on stderr');

  // A real pid (this test process, not Go): the format is refused before anything is touched.
  const xml = await runMstat(['--pid', String(process.pid), '--format', 'xml']);
  expectError(t, xml, EXIT.usage, [/--format/, /json, text or pprof/, /'xml'/]);

  const badMode = await runMstat(['--pid', String(process.pid), '--mode', 'fast']);
  expectError(t, badMode, EXIT.usage, [/--mode/, /live or consistent/]);

  const unknown = await runMstat(['--pid', String(process.pid), '--frobnicate']);
  t.equal(unknown.code, EXIT.usage, `unknown option: exit 2 (${describe(unknown)})`);
  t.match(lines(unknown.stderr)[0] ?? '', /^mstat: .*--frobnicate/, 'unknown option: named on the first stderr line');
});

// -------------------------------------------------------------------------- SIGINT

/**
 * Runs mstat with MI tracing (--log-level trace logs every MI line on stderr) and sends it
 * SIGINT `delayMs` after the first MI line that matches `at` (seen after `after`, if given).
 */
async function interrupted(t: Asserts, go: GoTarget, env: Record<string, string>, mode: 'live' | 'consistent', at: RegExp, delayMs: number, after?: RegExp): Promise<{ r: CliResult; gdbPid: number; sent: boolean }> {
  let gdbPid = 0;
  let sent = false;
  let armed = after === undefined;
  const r = await runMstat(['--pid', String(go.pid), '--mode', mode, '--log-level', 'trace'], {
    env,
    onStderrLine: (line, pid) => {
      if (line.includes('"msg":"gdb started"')) gdbPid = Number(/"gdbPid":(\d+)/.exec(line)?.[1] ?? 0);
      const mi = /"mi":"(?:in|out)","line":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
      if (mi === undefined || sent) return;
      if (!armed) {
        armed = after!.test(mi);
        return;
      }
      if (!at.test(mi)) return;
      sent = true;
      setTimeout(() => {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          /* already gone */
        }
      }, delayMs);
    },
  });
  t.ok(gdbPid > 0, `gdb pid ${gdbPid} from the debug log`);
  const gone = await until(() => readProcStatus(gdbPid) === undefined || readProcStatus(gdbPid)?.state === 'Z', 5000);
  t.ok(gone, `gdb ${gdbPid} exited with mstat`);
  return { r, gdbPid, sent };
}

/**
 * After an interrupted run: the target must not be left stopped (if it is, the test fails and
 * SIGCONTs it so the rest can go on), must not be traced, and must keep running and answering.
 */
async function expectRunningAfterSignal(t: Asserts, go: GoTarget, what: string): Promise<void> {
  await sleep(300); // the kernel detaches threads one by one; let a late group-stop show
  const stopped = threadStates(go.pid).filter((s) => s === 'T' || s === 't');
  t.same(stopped, [], `${what}: no thread of the target left stopped`);
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, `${what}: target not traced`);
  if (stopped.length > 0) process.kill(go.pid, 'SIGCONT');
  await expectUntouched(t, go);
}


interface SignalCase {
  mode: 'live' | 'consistent';
  at: RegExp;
  after?: RegExp;
  where: string;
  delays: number[];
}

const SIGNAL_CASES: SignalCase[] = [
  { mode: 'live', at: /attach \d+ &/, where: 'as the attach goes out', delays: [0] },
  { mode: 'consistent', at: /attach \d+ &/, where: 'as the attach goes out', delays: [0] },
  { mode: 'live', at: /-data-read-memory-bytes/, after: /attach \d+ &/, where: 'at the first snapshot read', delays: [0, 15, 40] },
  { mode: 'consistent', at: /^\*stopped/, after: /-exec-interrupt --all/, where: 'while the target is stopped for the read', delays: [0, 15, 40] },
];

for (const c of SIGNAL_CASES) {
  t.test(`SIGINT ${c.where} (${c.mode}): exit 130, gdb gone, the target keeps running, untraced`, async (t) => {
    const go = await startTarget(t, go126);
    const env = cacheEnv(t);
    const warm = await runMstat(['--pid', String(go.pid)], { env }); // the layout into the cache
    t.equal(warm.code, EXIT.ok, `warm-up run: exit 0 (${describe(warm)})`);
    for (const delayMs of c.delays) {
      const what = `SIGINT ${delayMs} ms ${c.where}`;
      const { r, sent } = await interrupted(t, go, env, c.mode, c.at, delayMs, c.after);
      t.ok(sent, `${what}: the run got there`);
      t.comment(`${what}: ${describe(r)}`);
      t.ok(r.code === 130 || r.code === 0, `${what}: exit 130 (or 0 when it had finished)`);
      t.notMatch(r.stderr, /has exited/, `${what}: no claim that the target exited`);
      if (r.code !== 0) t.equal(r.stdout, '', `${what}: nothing on stdout`);
      await expectRunningAfterSignal(t, go, what);
    }
  });
}
