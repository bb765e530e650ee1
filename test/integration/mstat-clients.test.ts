// `mstat` as a client: --bridge, --watch, --list, --format prom and --help, as a black box
// (subprocesses) against real Go targets, real gdb and a real bridge.
// - --bridge gives the same bytes as a direct read (json, text, prom) on a quiet target, and
//   both equal the target's own ReadMemStats; wire errors map to the direct exit statuses;
//   a wrong token or no bridge is status 7 with one line;
// - --watch: one line per reading with changes (pipe), in-place redraw (pty), SIGINT leaves
//   the target running and untraced, locally and through a bridge;
// - --list shows the fixture (Go version, attachable) and no non-Go process;
// - --format prom passes `promtool check metrics`;
// - --help reads like a man page; bad combinations are usage errors (2).
import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import { GO_MEMSTATS_METRICS } from '../../clients/shared/prometheus-format.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { testBridge } from '../support/bridge.ts';
import { deadPid, estimatedFields, lines, runMstat, runMstatInPty, tempDir, type CliResult } from '../support/cli.ts';
import { jsonFields, prepareQuietScenario, rawMemStatsJson, waitQuiet } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, threadStates } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';
import { freePort } from '../../scripts/kit/ports.ts';

// ~30 subprocess CLIs (a tsx start and mostly a gdb each) on a loaded 2-CPU machine.
t.setTimeout(300_000);

/** The statuses `mstat --help` documents (checked against it below). */
const EXIT = { ok: 0, failed: 1, usage: 2, notReadable: 3, ptrace: 4, gdb: 5, buildId: 6, bridge: 7, interrupted: 130 } as const;

type Asserts = Parameters<Parameters<typeof t.test>[0]>[0];

const build = fixture();

async function startTarget(t: Asserts): Promise<GoTarget> {
  const go = await GoTarget.start(build, ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  return go;
}

function cacheEnv(t: Asserts): { MSTAT_CACHE_DIR: string } {
  return { MSTAT_CACHE_DIR: tempDir(t, 'mstat-clients-cache-') };
}

function describe(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''} after ${r.ms.toFixed(0)} ms; stderr: ${JSON.stringify(r.stderr.slice(0, 2000))}`;
}

/** A failed run: the status, one `mstat: ` line naming the problem, nothing on stdout. */
function expectError(t: Asserts, r: CliResult, code: number, keywords: RegExp[]): void {
  t.equal(r.code, code, `exit status ${code} (${describe(r)})`);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.equal(lines(r.stderr).length, 1, `exactly one line on stderr: ${JSON.stringify(r.stderr)}`);
  t.match(r.stderr, /^mstat: [^\n]+\n$/, 'it starts with "mstat: "');
  for (const k of keywords) t.match(r.stderr, k, `stderr mentions ${k}`);
}

/** Not stopped (no thread in T/t), not traced, still answering. */
async function expectRunningUntraced(t: Asserts, go: GoTarget, what: string): Promise<void> {
  // A bridge detaches after its linger; our own gdb is gone when mstat exits.
  t.ok(await until(() => fullyDetached(go.pid), 5000), `${what}: target not traced (TracerPid 0)`);
  await sleep(200); // a late group-stop would show now
  const st = readProcStatus(go.pid);
  t.ok(st && st.state !== 'T' && st.state !== 't' && st.state !== 'Z', `${what}: target not stopped (State ${st?.state})`);
  const stopped = threadStates(go.pid).filter((s) => s === 'T' || s === 't');
  t.same(stopped, [], `${what}: no thread stopped`);
  if (stopped.length > 0) process.kill(go.pid, 'SIGCONT');
  t.equal((await go.command('memstats')).event, 'memstats', `${what}: target answers`);
}

/** A quiet target: GC history, parked workers, settled scavenger (checked by reading it). */
async function quietTarget(t: Asserts): Promise<GoTarget> {
  const go = await startTarget(t);
  await prepareQuietScenario(go);
  const probe = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
  const q = await waitQuiet(probe);
  await probe.close();
  t.ok(q.quiet, `target quiet after ${q.samples} readings`);
  return go;
}

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

/** Prometheus text without the series that differ between two reads of a quiet target (when, how long). */
const promStable = (text: string): string =>
  text
    .split('\n')
    // What moves between two reads of an idle target: the read's own time, and the process's
    // CPU, memory, fds and network counters (the direct read runs a gdb of its own).
    .filter((l) => !/^(mstat_bridge_sample_(read|timestamp)_seconds|process_(cpu_seconds_total|resident_memory_bytes|virtual_memory_bytes|open_fds|network_\w+_bytes_total))\{/.test(l))
    .join('\n');

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** field → value vs the target's own, allowing only flagged estimates within their bound. */
function compareValues(ours: Map<string, string>, theirs: Map<string, string>, est: Map<string, bigint>): Record<string, string> {
  const bad: Record<string, string> = {};
  for (const [f, mine] of ours) {
    const their = theirs.get(f);
    if (mine === their) continue;
    const bound = est.get(f);
    if (bound !== undefined && their !== undefined && /^\d+$/.test(mine) && /^\d+$/.test(their) && abs(BigInt(mine) - BigInt(their)) <= bound) continue;
    if (f === 'GCCPUFraction' && Number(mine) === Number(their)) continue; // %v vs JSON float text
    bad[f] = `${mine} vs ${their ?? '(missing)'}`;
  }
  return bad;
}


// ------------------------------------------------------------------ --bridge = direct

t.test('--bridge prints what a direct read prints (json, text, prom), and both equal the target\'s ReadMemStats', async (t) => {
  const go = await quietTarget(t);
  const bridge = await testBridge(t);
  const url = `ws://127.0.0.1:${bridge.address.port}`;
  const env = cacheEnv(t);
  const pid = String(go.pid);
  /** One read through the bridge, then wait for its detach (after the linger) so a direct attach can follow. */
  const viaBridge = async (args: string[]): Promise<CliResult> => {
    const r = await runMstat([...args, '--bridge', url], { env });
    t.ok(await until(() => fullyDetached(go.pid), 5000), 'the bridge detached after the read');
    return r;
  };

  for (const format of ['json', 'text', 'prom'] as const) {
    // Attaching can make the runtime start an M once the target resumes (an allocation
    // between two readings): that is the target changing, so a differing round is retried.
    let direct: CliResult | undefined;
    let bridged: CliResult | undefined;
    let theirs = '';
    for (let round = 0; round < 4; round++) {
      direct = await runMstat(['--pid', pid, '--format', format], { env });
      bridged = await viaBridge(['--pid', pid, '--format', format]);
      theirs = rawMemStatsJson(await go.command('memstats'));
      const same = format === 'prom' ? promStable(direct.stdout) === promStable(bridged.stdout) : direct.stdout === bridged.stdout;
      if (same && (format !== 'json' || direct.stdout.trim() === theirs)) break;
      t.comment(`${format}: round ${round} differed (the target changed meanwhile); reading again`);
    }
    if (!direct || !bridged) return;
    t.equal(direct.code, EXIT.ok, `${format} direct: exit 0 (${describe(direct)})`);
    t.equal(bridged.code, EXIT.ok, `${format} --bridge: exit 0 (${describe(bridged)})`);
    const est = estimatedFields(direct.stderr);
    t.same([...estimatedFields(bridged.stderr)], [...est], `${format}: the same estimated fields and bounds reported on stderr`);
    for (const l of lines(bridged.stderr)) t.match(l, /^mstat: \w+ is estimated \(±\d+ bytes\): .+$/, `${format} --bridge: stderr only notes estimates: ${l}`);
    const mine = jsonFields(theirs);
    if (format === 'json') {
      t.equal(bridged.stdout, direct.stdout, 'json: --bridge output == direct output, byte for byte');
      t.match(bridged.stdout, /^\{[^\n]*\}\n$/, 'json: one line');
      t.same(compareValues(jsonFields(bridged.stdout.trim()), mine, est), {}, 'json: every field == the target\'s json.Marshal(ReadMemStats) (or within its flagged bound)');
      if (est.size === 0) t.equal(bridged.stdout.trim(), theirs, 'json: byte-identical to the target\'s own');
    } else if (format === 'text') {
      t.equal(bridged.stdout, direct.stdout, 'text: --bridge output == direct output');
      const scalars = new Map<string, string>();
      for (const m of bridged.stdout.matchAll(/^(\w+) = (\d+(?:\.\d+)?(?:e[+-]\d+)?|true|false)$/gm)) scalars.set(m[1]!, m[2]!);
      t.ok(scalars.size >= 28, `text: ${scalars.size} scalar fields`);
      t.same(compareValues(scalars, mine, est), {}, 'text: every scalar == the target\'s ReadMemStats');
    } else {
      t.equal(promStable(bridged.stdout), promStable(direct.stdout), 'prom: --bridge exposition == direct (but for read time, timestamp and the process counters that move)');
      for (const name of ['mstat_bridge_sample_read_seconds', 'mstat_bridge_sample_timestamp_seconds']) {
        t.match(bridged.stdout, new RegExp(`^${name}\\{pid="${pid}",exe="[^"]+"\\} \\d`, 'm'), `prom --bridge: ${name}`);
      }
      const values = new Map<string, string>();
      for (const def of GO_MEMSTATS_METRICS) {
        const v = new RegExp(`^${def.name}\\{pid="${pid}",exe="${build.path}"\\} (\\d+)$`, 'm').exec(bridged.stdout)?.[1];
        t.ok(v, `prom: ${def.name} for pid ${pid} and exe ${build.path}`);
        if (v) values.set(def.field, v);
      }
      t.same(compareValues(values, mine, est), {}, 'prom: every go_memstats_* value == the target\'s ReadMemStats');
      t.match(bridged.stdout, new RegExp(`^go_info\\{pid="${pid}",exe="[^"]+",version="${build.goVersion}"\\} 1$`, 'm'), 'prom: go_info with the Go version');
      t.notMatch(bridged.stdout, /mstat_bridge_(targets|subscribers)/, 'prom: no bridge-wide gauges in a one-target exposition');
      for (const [what, r] of [['direct', direct], ['--bridge', bridged]] as const) {
        const check = promtool(r.stdout);
        t.equal(check.status, 0, `prom ${what}: promtool check metrics exit 0`);
        t.equal(check.output, '', `prom ${what}: promtool has no complaint${check.output ? `: ${check.output}` : ''}`);
      }
    }
  }
  await expectRunningUntraced(t, go, 'after the reads');
});

t.test('--format prom of a busy target passes promtool (and promtool does flag a bad exposition)', async (t) => {
  const bad = promtool('# HELP x_things Things.\n# TYPE x_things counter\nx_things 1\n');
  t.not(bad.status, 0, 'a counter without _total fails promtool: the check is not vacuous');
  const go = await startTarget(t);
  await go.command('gc');
  const r = await runMstat(['--pid', String(go.pid), '--format', 'prom', '--mode', 'consistent'], { env: cacheEnv(t) });
  t.equal(r.code, EXIT.ok, `exit 0 (${describe(r)})`);
  const check = promtool(r.stdout);
  t.equal(check.status, 0, 'promtool check metrics: exit 0');
  t.equal(check.output, '', `no warnings${check.output ? `: ${check.output}` : ''}`);
  t.match(r.stdout, /^# TYPE go_gc_duration_seconds summary$/m);
  t.match(r.stdout, new RegExp(`^go_memstats_last_gc_time_seconds\\{pid="${go.pid}",exe="[^"]+"\\} \\d{10}\\.\\d+$`, 'm'), 'LastGC as exact Unix seconds');
  t.match(r.stdout, new RegExp(`^mstat_bridge_sample_pause_seconds\\{pid="${go.pid}",exe="[^"]+"\\} (?:0\\.0*[1-9]\\d*|[1-9]\\d*\\.\\d+)$`, 'm'), 'consistent mode: the pause, in seconds (> 0)');
  t.match(r.stderr, /^mstat: target paused for \d+\.\d\d ms$/m, 'the pause on stderr too');
  await expectRunningUntraced(t, go, 'after --format prom');

  // --mode goes through the bridge: its reading stops the target and says for how long.
  const bridge = await testBridge(t);
  const b = await runMstat(['--pid', String(go.pid), '--format', 'prom', '--mode', 'consistent', '--bridge', `ws://127.0.0.1:${bridge.address.port}`]);
  t.equal(b.code, EXIT.ok, `--bridge: exit 0 (${describe(b)})`);
  t.equal(promtool(b.stdout).status, 0, '--bridge: promtool check metrics: exit 0');
  t.match(b.stdout, new RegExp(`^mstat_bridge_sample_pause_seconds\\{pid="${go.pid}",exe="[^"]+"\\} 0\\.\\d+$`, 'm'), '--bridge --mode consistent: a non-zero pause');
  t.match(b.stderr, /^mstat: target paused for \d+\.\d\d ms$/m, '--bridge: the pause on stderr');
  await expectRunningUntraced(t, go, 'after --bridge --mode consistent');
});

// ------------------------------------------------------------------ bridge errors

t.test('--bridge errors: wrong or missing token, no bridge → 7; wire errors → the direct statuses', async (t) => {
  const bridge = await testBridge(t, { token: 'the-right-token' });
  const url = `ws://127.0.0.1:${bridge.address.port}`;
  const go = await startTarget(t);
  const pid = String(go.pid);

  const wrong = await runMstat(['--pid', pid, '--bridge', url, '--token', 'not-the-token']);
  expectError(t, wrong, EXIT.bridge, [/cannot connect to the bridge/, new RegExp(url.replaceAll('.', '\\.')), /401/, /token/]);
  const missing = await runMstat(['--pid', pid, '--bridge', url]);
  expectError(t, missing, EXIT.bridge, [/401/, /token/]);
  const list = await runMstat(['--list', '--bridge', url, '--token', 'nope-nope']);
  expectError(t, list, EXIT.bridge, [/401/]);
  const fromEnv = await runMstat(['--pid', pid, '--bridge', url], { env: { MSTAT_TOKEN: 'the-right-token' } });
  t.equal(fromEnv.code, EXIT.ok, `the token from $MSTAT_TOKEN is accepted (${describe(fromEnv)})`);

  const port = await freePort();
  const none = await runMstat(['--pid', pid, '--bridge', `ws://127.0.0.1:${port}`]);
  expectError(t, none, EXIT.bridge, [/cannot connect to the bridge/, new RegExp(`127\\.0\\.0\\.1:${port}`), /connection refused/, /running/]);
  const noneWatch = await runMstat(['--pid', pid, '--watch', '--bridge', `ws://127.0.0.1:${port}`]);
  expectError(t, noneWatch, EXIT.bridge, [/connection refused/]);

  // Wire codes: NO_SUCH_PROCESS and NOT_GO are 3, as when reading directly.
  const gone = await deadPid();
  const noProc = await runMstat(['--pid', String(gone), '--bridge', url, '--token', 'the-right-token']);
  expectError(t, noProc, EXIT.notReadable, [/no process/, new RegExp(`\\b${gone}\\b`)]);
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  await until(() => readProcStatus(sleeper.pid!)?.state === 'S', 5000);
  const notGo = await runMstat(['--pid', String(sleeper.pid), '--bridge', url, '--token', 'the-right-token']);
  expectError(t, notGo, EXIT.notReadable, [/not a Go program/]);
  const direct = await runMstat(['--pid', String(sleeper.pid)], { env: cacheEnv(t) });
  t.equal(direct.code, notGo.code, 'the same status as the direct read of the non-Go process');
  t.equal(readProcStatus(sleeper.pid!)?.tracerPid, 0, 'sleep not traced');
  await expectRunningUntraced(t, go, 'after the refused connections');
});

// ------------------------------------------------------------------ --watch

/** Runs `mstat --watch` into a pipe, sends SIGINT after `n` lines; returns the run and the lines seen before. */
async function watchUntilSigint(args: string[], n: number, env: Record<string, string>): Promise<{ r: CliResult; sentAfter: number }> {
  let seen = 0;
  let sentAfter = 0;
  const r = await runMstat(['--watch', '--interval', '200ms', ...args], {
    env,
    timeoutMs: 90_000,
    onStdoutLine: (_line, pid) => {
      if (++seen < n || sentAfter > 0) return;
      // Counted here: a line already on its way when the signal lands is printed too.
      sentAfter = seen;
      process.kill(pid, 'SIGINT');
    },
  });
  return { r, sentAfter };
}

function expectWatchLines(t: Asserts, out: string, n: number, what: string): void {
  const ls = lines(out);
  t.ok(ls.length >= n, `${what}: at least ${n} lines (${ls.length})`);
  const first = ls[0] ?? '';
  t.match(first, /^\d{4}-\d\d-\d\dT[\d:.]+Z inuse=[\d.]+[KMG]?i?B idle=[\d.]+[KMG]?i?B released=[\d.]+[KMG]?i?B heapsys=[\d.]+[KMG]?i?B heapalloc=[\d.]+[KMG]?i?B nextgc=[\d.]+[KMG]?i?B\(\d+(\.\d)?%\) /, `${what}: first line: heap in use, idle, released, sys, HeapAlloc vs NextGC`);
  t.match(first, / alloc=– mallocs=– gc=\d+ pauses=\S+ objects=[\d.]+[kMG]? stacks=[\d.]+[KMG]?i?B sys=[\d.]+[KMG]?i?B/, `${what}: first line: no rates yet; GC, pauses, objects, stacks`);
  t.notMatch(first, /\([+±-]/, `${what}: first line has no changes (nothing to compare with)`);
  const delta = String.raw`\((?:±0|[+-][\d.]+[KMG]?i?B)\)`;
  for (const l of ls.slice(1)) {
    t.match(
      l,
      new RegExp(`^\\S+Z inuse=[\\d.]+\\w*${delta} idle=[\\d.]+\\w*${delta} released=[\\d.]+\\w*${delta} heapsys=[\\d.]+\\w*${delta} heapalloc=[\\d.]+\\w*${delta} nextgc=\\S+ alloc=[\\d.]+\\w*/s mallocs=[\\d.]+[kMG]?/s gc=\\d+\\((?:±0|\\+\\d+)\\) pauses=\\S+ objects=[\\d.]+[kMG]?\\((?:±0|[+-][\\d.]+[kMG]?)\\) stacks=[\\d.]+\\w*${delta} sys=[\\d.]+\\w*${delta}`),
      `${what}: a line with changes and rates: ${l.slice(0, 100)}…`,
    );
  }
}

t.test('--watch into a pipe: one line per reading with changes; SIGINT detaches, exit 130', async (t) => {
  const go = await startTarget(t);
  const env = cacheEnv(t);
  const { r, sentAfter } = await watchUntilSigint(['--pid', String(go.pid)], 4, env);
  t.equal(r.code, EXIT.interrupted, `exit 130 (${describe(r)})`);
  t.equal(sentAfter, 4, 'SIGINT sent after the 4th line');
  t.equal(r.stderr, '', 'nothing on stderr');
  expectWatchLines(t, r.stdout, 4, 'local');
  await expectRunningUntraced(t, go, 'after SIGINT');

  const counted = await runMstat(['--pid', String(go.pid), '--watch', '--interval', '100ms', '--count', '3'], { env });
  t.equal(counted.code, EXIT.ok, `--count 3: exit 0 (${describe(counted)})`);
  t.equal(lines(counted.stdout).length, 3, '--count 3: three lines');
  expectWatchLines(t, counted.stdout, 3, '--count');
  await expectRunningUntraced(t, go, 'after --count');
});

t.test('--watch --bridge into a pipe: the same lines; SIGINT unsubscribes, the bridge detaches', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const { r } = await watchUntilSigint(['--pid', String(go.pid), '--bridge', `ws://127.0.0.1:${bridge.address.port}`], 4, {});
  t.equal(r.code, EXIT.interrupted, `exit 130 (${describe(r)})`);
  t.equal(r.stderr, '', 'nothing on stderr');
  expectWatchLines(t, r.stdout, 4, '--bridge');
  t.ok(await until(() => bridge.manager.subscriberCount === 0, 5000), 'no subscriber left at the bridge');
  await expectRunningUntraced(t, go, 'after SIGINT (--bridge)');
});

t.test('--watch on a terminal: redrawn in place (pty)', async (t) => {
  const go = await startTarget(t);
  const r = await runMstatInPty(['--pid', String(go.pid), '--watch', '--interval', '200ms', '--count', '3'], { env: cacheEnv(t), columns: 80 });
  t.equal(r.code, EXIT.ok, `exit 0 after --count 3 (${describe(r)})`);
  const out = r.stdout;
  const frames = out.split('heap in use').length - 1;
  t.equal(frames, 3, 'three frames');
  t.ok(out.includes('\x1b[?25l'), 'the cursor is hidden while redrawing');
  t.match(out, /\x1b\[K/, 'each line cleared to its end');
  const ups = [...out.matchAll(/\r\x1b\[(\d+)A/g)].map((m) => Number(m[1]));
  t.equal(ups.length, 2, 'two redraws go back up over the previous frame');
  const height = (out.slice(0, out.indexOf('\r\x1b[')).match(/\n/g) ?? []).length;
  t.ok(ups.length > 0 && ups.every((u) => u === height), `by exactly the frame's height (${height} lines; moved up ${ups.join(', ')})`);
  t.equal((out.match(/\x1b\[J/g) ?? []).length, 3, 'whatever is below each frame is cleared');
  t.ok(out.trimEnd().endsWith('\x1b[?25h'), 'the cursor is shown again at the end');
  t.notMatch(out, /\x1b\[2J/, 'the screen is never cleared as a whole');
  const last = out.slice(out.lastIndexOf('\r\x1b['));
  for (const re of [/heap in use +[\d.]+ \w+ +(±0|[+-][\d.]+ \w+)/, /heap idle/, /heap released/, /heap sys/, /HeapAlloc .* of NextGC /, /alloc rate +[\d.]+ \w+\/s/, /mallocs +[\d.]+[kMG]?\/s/, /GC +\d+ +(±0|\+\d+) +last pauses /, /objects/, /stacks/]) {
    t.match(last, re, `the last frame shows ${re}`);
  }
  const shown = last.split('\n').map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, ''));
  t.same(shown.filter((l) => [...l].length > 80), [], 'no line wider than the 80-column terminal');
  t.ok(shown.some((l) => l.endsWith('…')), 'a longer line was cut (with …) rather than wrapped');
  await expectRunningUntraced(t, go, 'after the pty run');
});

// ------------------------------------------------------------------ --list

t.test('--list: the fixture with its Go version, attachable; no non-Go process', async (t) => {
  const go = await startTarget(t);
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  const table = await runMstat(['--list']);
  t.equal(table.code, EXIT.ok, `exit 0 (${describe(table)})`);
  const ls = lines(table.stdout);
  t.match(ls[0] ?? '', /^\s*PID\s+GO\s+ATTACHABLE\s+EXE$/, 'a header');
  const row = ls.find((l) => l.trim().startsWith(`${go.pid} `));
  t.ok(row, `the fixture's PID ${go.pid} is listed`);
  t.match(row ?? '', new RegExp(`^\\s*${go.pid}\\s+${build.goVersion.replaceAll('.', '\\.')}\\s+yes\\s+${build.path}$`), `its row: ${row}`);
  t.notOk(ls.some((l) => l.trim().startsWith(`${sleeper.pid} `)), `sleep (PID ${sleeper.pid}) is not listed`);
  t.notOk(ls.some((l) => l.trim().startsWith(`${process.pid} `)), 'node (this test) is not listed');

  const json = await runMstat(['--list', '--format', 'json']);
  t.equal(json.code, EXIT.ok, `--format json: exit 0 (${describe(json)})`);
  const objs = lines(json.stdout).map((l) => JSON.parse(l) as { pid: number; exe: string; goVersion?: string; attachable: boolean });
  t.same(objs.find((o) => o.pid === go.pid), { pid: go.pid, exe: build.path, goVersion: build.goVersion, attachable: true, attached: false }, '--format json: one object per line, the wire form');
  t.notOk(objs.some((o) => o.pid === sleeper.pid), '--format json: no sleep');

  const bridge = await testBridge(t);
  const viaBridge = await runMstat(['--list', '--bridge', `ws://127.0.0.1:${bridge.address.port}`]);
  t.equal(viaBridge.code, EXIT.ok, `--bridge: exit 0 (${describe(viaBridge)})`);
  t.match(viaBridge.stdout, new RegExp(`^\\s*${go.pid}\\s+${build.goVersion.replaceAll('.', '\\.')}\\s+yes\\s+${build.path}$`, 'm'), '--bridge: the bridge host\'s listing has the fixture');
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, 'listing traced nothing');
});

// ------------------------------------------------------------------ usage

t.test('--help reads like a man page; bad combinations are usage errors', async (t) => {
  const help = await runMstat(['--help']);
  t.equal(help.code, EXIT.ok, '--help: exit 0');
  t.equal(help.stderr, '', '--help: nothing on stderr');
  const sections = [...help.stdout.matchAll(/^([A-Z][A-Z ]+)$/gm)].map((m) => m[1]);
  t.same(sections, ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES'], 'the sections of a man page, in order');
  for (const o of ['--pid', '--format', '--mode', '--exe', '--watch', '--interval', '--count', '--list', '--bridge', '--token', '--log-level', '--help']) {
    t.match(help.stdout, new RegExp(`^ {7}(-h, )?${o} `, 'm'), `OPTIONS describes ${o}`);
  }
  const exit = help.stdout.slice(help.stdout.indexOf('\nEXIT STATUS\n'), help.stdout.indexOf('\nEXAMPLES\n'));
  for (const code of Object.values(EXIT)) t.match(exit, new RegExp(`^ {7}${code} +\\S`, 'm'), `EXIT STATUS documents ${code}`);
  t.match(help.stdout, /json\|text\|pprof\|prom/, 'prom among the formats');
  t.match(help.stdout, /^ {7}mstat --pid \d+ --watch/m, 'EXAMPLES has a --watch');

  const pid = String(process.pid); // refused before anything is touched
  const cases: Array<[string[], RegExp]> = [
    [['--pid', pid, '--frobnicate'], /--frobnicate/],
    [['--pid', pid, '--watch', '--format', 'json'], /--watch/],
    [['--pid', pid, '--watch', '--interval', 'soon'], /--interval .*500ms, 1s or 2m/],
    [['--pid', pid, '--watch', '--interval', '5ms'], /--interval/],
    [['--pid', pid, '--interval', '1s'], /--interval goes with --watch/],
    [['--pid', pid, '--watch', '--count', '0'], /--count/],
    [['--pid', pid, '--token', 'x'], /--token goes with --bridge/],
    [['--pid', pid, '--bridge', 'ws://127.0.0.1:1', '--exe', '/bin/true'], /--exe cannot be used with --bridge/],
    [['--pid', pid, '--bridge', 'not a url'], /--bridge must be/],
    [['--pid', pid, '--bridge', 'ftp://h/'], /--bridge must be a ws/],
    [['--list', '--pid', pid], /--list takes no --pid/],
    [['--list', '--format', 'prom'], /--format with --list must be text or json/],
  ];
  for (const [args, re] of cases) {
    const r = await runMstat(args);
    t.equal(r.code, EXIT.usage, `${args.join(' ')}: exit 2 (${describe(r)})`);
    t.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
    t.match(lines(r.stderr)[0] ?? '', new RegExp(`^mstat: .*${re.source}`), `${args.join(' ')}: says ${re}`);
  }
});
