// Benchmark (not a test, no assertions): what one mstat-bridge reading costs, and how long it
// stops the target, next to the classic `gdb -batch -p PID` + Python dump of runtime.memstats,
// all measured in the same run against two memhog builds of the newest toolchain: the default
// one and the large one (-tags large, far more code and DWARF), so only the size differs.
//
//   npx tsx scripts/bench-sample.ts [--samples N] [--quick]
//
// Target-side pauses are measured by the target, never by reading a global through gdb (the
// tool would measure itself): memhog's `gap` control command (largest gap between the 1 ms
// ticks of its progress goroutine, reset on each reply) when the fixture has it, otherwise the
// arrival times of its 1 ms heartbeat lines, stamped with CLOCK_MONOTONIC by a small perl
// relay between memhog's stdout and this process (so this process's event loop adds no delay).
//
// Safety: only fixture processes started here are touched; every gdb here either is the
// bridge's own (non-stop, detaches on close) or a plain all-stop `gdb -batch` (never
// non-stop); after every gdb run the target is checked and SIGCONT-ed if left stopped
// untraced; all fixtures are killed on exit, error and Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type Sample } from '../bridge/go/target.ts';
import { LocalTarget } from '../bridge/access/local-target.ts';
import { createRootLogger } from '../bridge/log.ts';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { BUILD_DIR, fixture, fixtures, type FixtureBuild } from './kit/fixtures.ts';
import { bytes, maxOf, median, ms, note, p95, print, quantile, ratio, table } from './bench/report.ts';
import { now, sleep } from './kit/time.ts';

const ROOT = join(import.meta.dirname, '..');

// ------------------------------------------------------------------ arguments

const USAGE = `usage: npx tsx scripts/bench-sample.ts [--samples N] [--quick] [--gap-source auto|command|heartbeats]

  --samples N     samples per live/consistent series (default 200; 40 with --quick)
  --quick         fewer repetitions everywhere (under a minute)
  --gap-source S  how the target-side pause is measured: memhog's \`gap\` command, or the
                  arrival stamps of its 1 ms heartbeats; auto (default) = the command if
                  the fixture has it`;

const { values: opts } = (() => {
  try {
    return parseArgs({
      options: {
        samples: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'gap-source': { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();
if (opts.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const QUICK = opts.quick === true;
if (opts.samples !== undefined && !/^[1-9][0-9]*$/.test(opts.samples)) {
  process.stderr.write(`--samples must be a positive integer\n${USAGE}\n`);
  process.exit(2);
}
const GAP_SOURCE = opts['gap-source'];
if (GAP_SOURCE !== 'auto' && GAP_SOURCE !== 'command' && GAP_SOURCE !== 'heartbeats') {
  process.stderr.write(`--gap-source must be auto, command or heartbeats\n${USAGE}\n`);
  process.exit(2);
}
const N = opts.samples !== undefined ? Number(opts.samples) : QUICK ? 30 : 200;
const REPS = QUICK ? { cold: 2, warm: 3, cli: 2, classic: 3 } : { cold: 4, warm: 6, cli: 3, classic: 6 };
/** No-gdb baselines: as many windows as the series they pair with, but at most this long each. */
const IDLE_BUDGET_MS = QUICK ? 1500 : 5000;

const log = createRootLogger({ level: 'warn', name: 'bench-sample', destination: 'stderr' });

// ------------------------------------------------------------------ utilities

// ------------------------------------------------------- cleanup (also on Ctrl-C)

const hogs = new Set<Hog>();
const openTargets = new Set<LocalTarget>();
const children = new Set<ChildProcess>(); // gdb -batch and CLI runs, each in its own process group
let tmpRoot: string | undefined;
let cleaning: Promise<void> | undefined;

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, sig); // the group this script created for it (detached: true)
  } catch {
    /* gone */
  }
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    await Promise.all([...openTargets].map((t) => Promise.race([t.close().catch(() => undefined), sleep(3000)])));
    await Promise.all([...hogs].map((h) => h.stop()));
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    note(`${sig}: cleaning up (killing the fixtures started here)`);
    void cleanup().finally(() => process.exit(130));
  });
}

// -------------------------------------------- the fixture, behind a timestamping relay

// perl starts memhog with its stdout on a pipe and relays each line prefixed with the
// CLOCK_MONOTONIC ns at which it arrived. memhog's stdin is perl's stdin (our pipe), so
// control commands go straight to memhog, and closing it ends both.
const RELAY = `
use strict; use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
$| = 1;
my $pid = open(my $in, '-|', @ARGV);
defined $pid or die "bench relay: cannot start $ARGV[0]: $!\\n";
print "P $pid\\n";
while (defined(my $line = <$in>)) {
  print sprintf('%.0f', clock_gettime(CLOCK_MONOTONIC) * 1e9), ' ', $line;
}
close $in;
print "X $?\\n";
`;

interface HogEvent {
  event: string;
  [k: string]: unknown;
}

class Hog {
  pid = 0;
  /** arrival times (ns, CLOCK_MONOTONIC) of heartbeat lines */
  readonly beats: number[] = [];
  gapCommand = false;
  private readonly relay: ChildProcess;
  private readonly waiters: Array<{ pred: (e: HogEvent) => boolean; done: (e: HogEvent) => void }> = [];
  private beatWaiters: Array<{ after: number; done: () => void }> = [];
  readonly exited: Promise<void>;

  private constructor(readonly build: FixtureBuild, binary: string, deadlineS: number) {
    this.relay = spawn('perl', ['-e', RELAY, binary, '-control', '-deadline', `${deadlineS}s`, '-heartbeat', '1ms'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true, // a terminal Ctrl-C reaches only us; we stop the fixture ourselves
    });
    this.exited = new Promise((r) => this.relay.on('exit', () => r()));
    this.relay.stdin!.on('error', () => undefined);
    createInterface({ input: this.relay.stdout! }).on('line', (l) => this.onLine(l));
  }

  static async start(build: FixtureBuild, binary: string, deadlineS: number): Promise<Hog> {
    const h = new Hog(build, binary, deadlineS);
    hogs.add(h);
    const ready = await h.next((e) => e.event === 'ready', 15_000);
    h.pid = Number(ready.pid);
    if (GAP_SOURCE !== 'heartbeats') {
      const r = await h.command('gap', 'gap', 5000);
      h.gapCommand = r.event === 'gap' && typeof r.maxGapNs === 'number';
      if (!h.gapCommand && GAP_SOURCE === 'command') throw new Error(`this memhog build has no \`gap\` command (${JSON.stringify(r)})`);
    }
    return h;
  }

  private onLine(line: string): void {
    if (line.startsWith('P ') || line.startsWith('X ')) return;
    const sp = line.indexOf(' ');
    const t = Number(line.slice(0, sp));
    let e: HogEvent;
    try {
      e = JSON.parse(line.slice(sp + 1)) as HogEvent;
    } catch {
      return;
    }
    if (e.event === 'heartbeat') {
      this.beats.push(t);
      if (this.beatWaiters.length > 0) {
        const keep = [];
        for (const w of this.beatWaiters) (t > w.after ? w.done() : keep.push(w));
        this.beatWaiters = keep;
      }
      return;
    }
    const i = this.waiters.findIndex((w) => w.pred(e));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.done(e);
  }

  next(pred: (e: HogEvent) => boolean, timeoutMs: number): Promise<HogEvent> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        done: (e: HogEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`memhog ${this.pid || '?'}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  command(cmd: string, expect: string, timeoutMs = 10_000): Promise<HogEvent> {
    const p = this.next((e) => e.event === expect || e.event === 'error', timeoutMs);
    this.relay.stdin!.write(cmd + '\n');
    return p;
  }

  /** Resolves once a heartbeat stamped after `t` has arrived. */
  beatAfter(t: number, timeoutMs = 15_000): Promise<void> {
    const last = this.beats[this.beats.length - 1];
    if (last !== undefined && last > t) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`memhog ${this.pid}: no heartbeat for ${timeoutMs} ms (stopped?)`)), timeoutMs);
      this.beatWaiters.push({
        after: t,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Largest interval between consecutive heartbeats that overlaps [t0, t1]. */
  maxBeatGap(t0: number, t1: number): number {
    const b = this.beats;
    let lo = 1;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid]! > t0) hi = mid;
      else lo = mid + 1;
    }
    let max = 0;
    for (let i = lo; i < b.length && b[i - 1]! < t1; i++) max = Math.max(max, b[i]! - b[i - 1]!);
    return max;
  }

  /** Ends the fixture: stdin EOF first, then SIGCONT + SIGKILL (its pid and the relay's). */
  async stop(): Promise<void> {
    if (this.relay.exitCode === null && this.relay.signalCode === null) {
      this.relay.stdin!.end();
      const done = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
      if (!done) {
        for (const pid of [this.pid, this.relay.pid]) {
          if (!pid) continue;
          try {
            process.kill(pid, 'SIGCONT');
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    hogs.delete(this);
  }
}

// ------------------------------------------------------- target-side pause probe

let stoppedLeft = 0; // times a target was found stopped untraced after one of our gdb runs

/** After any gdb run: a target must never stay stopped. */
function checkRunning(h: Hog): void {
  if (resumeIfStopped(h.pid) === 'resumed') {
    stoppedLeft++;
    note(`WARNING: memhog ${h.pid} was left stopped (State T, no tracer); sent SIGCONT`);
  }
}

interface Timed<T> {
  value: T;
  wallNs: number;
  /** largest gap the target saw during the operation */
  gapNs: number;
}

/**
 * Runs `fn` and returns its wall time and the largest scheduling gap the target itself saw
 * meanwhile: memhog's `gap` command (reset before, read after), else heartbeat arrival stamps.
 */
async function measure<T>(h: Hog, fn: () => Promise<T>): Promise<Timed<T>> {
  if (h.gapCommand) await h.command('gap', 'gap');
  const t0 = now();
  const value = await fn();
  const t1 = now();
  let gapNs: number;
  if (h.gapCommand) {
    await sleep(3); // let the first tick after the operation land
    const r = await h.command('gap', 'gap');
    gapNs = Number(r.maxGapNs);
  } else {
    await h.beatAfter(t1);
    gapNs = h.maxBeatGap(t0, t1);
  }
  return { value, wallNs: t1 - t0, gapNs };
}

// ----------------------------------------------------------------- operations

async function openFirstClose(h: Hog, cacheDir: string): Promise<{ cached: boolean; commands: number; sample: Sample }> {
  const t = await LocalTarget.open({ pid: h.pid, log, cacheDir });
  openTargets.add(t);
  try {
    const sample = await t.sample('live');
    return { cached: t.layoutCached, commands: t.layoutCommands, sample };
  } finally {
    await t.close();
    openTargets.delete(t);
    checkRunning(h);
  }
}

interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(c);
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d));
    c.stderr!.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => killGroup(c, 'SIGKILL'), timeoutMs);
    c.on('error', (err) => {
      clearTimeout(timer);
      children.delete(c);
      reject(err);
    });
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(c);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// The classic way: all-stop attach, dump runtime.memstats minus heapStats, detach at exit.
const CLASSIC_PY = `
import gdb
m = gdb.parse_and_eval("'runtime.memstats'")
skip = ("heapStats",)
for f in m.type.strip_typedefs().fields():
    if f.name is None or f.name in skip or f.name.startswith("_"):
        continue
    t = f.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_FLT, gdb.TYPE_CODE_BOOL):
        print("%s = %s" % (f.name, m[f.name]))
numgc = int(m["numgc"])
print("last_pause_ns = %d" % int(m["pause_ns"][(numgc + 255) % 256]))
`;

async function classicRun(h: Hog, pyFile: string): Promise<{ ok: boolean; detail: string; stdout: string }> {
  const gdb = process.env.MSTAT_GDB || 'gdb';
  // Plain all-stop batch mode (never non-stop: batch exit would leave a Go target stopped).
  const args = ['-batch', '-nx', '-iex', 'set auto-load off', '-p', String(h.pid), '-ex', 'handle SIGPIPE SIGSEGV SIGURG nostop noprint pass', '-x', pyFile];
  try {
    const r = await run(gdb, args, { ...process.env }, 60_000);
    const ok = r.code === 0 && /^numgc = \d+$/m.test(r.stdout) && /^stacks_sys = \d+$/m.test(r.stdout);
    return { ok, detail: ok ? '' : `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`, stdout: r.stdout };
  } finally {
    checkRunning(h);
  }
}

async function cliRun(h: Hog, cacheDir: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await run('npx', ['tsx', 'clients/cli/mstat.ts', '--pid', String(h.pid)], { ...process.env, MSTAT_CACHE_DIR: cacheDir }, 60_000);
    let ok = r.code === 0;
    if (ok) {
      try {
        ok = typeof (JSON.parse(r.stdout) as Record<string, unknown>).HeapAlloc === 'number';
      } catch {
        ok = false;
      }
    }
    return { ok, detail: ok ? '' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  } finally {
    checkRunning(h);
  }
}

// ----------------------------------------------------------------- per target

interface Series {
  wall: number[];
  gap: number[];
  failures: string[];
}
const series = (): Series => ({ wall: [], gap: [], failures: [] });

interface LiveStats extends Series {
  readNs: number[];
  reads: number[];
  bytes: number[];
  torn: number;
  retried: number;
  pauseNs: number[];
}
const liveStats = (): LiveStats => ({ ...series(), readNs: [], reads: [], bytes: [], torn: 0, retried: 0, pauseNs: [] });

interface Result {
  build: FixtureBuild;
  size: number;
  goVersion: string;
  liveRunning: LiveStats;
  livePaused: LiveStats;
  consistent: LiveStats;
  idleRunning: Series;
  idlePaused: Series;
  idleConsistent: Series;
  idleLong: Series;
  classicOutput: string;
  cold: Series;
  coldCommands: number[];
  warm: Series;
  cli: Series;
  classic: Series;
  gapSource: string;
  seconds: number;
}

async function samples(h: Hog, t: LocalTarget, mode: 'live' | 'consistent', n: number, out: LiveStats): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await measure(h, () => t.sample(mode));
    const m = r.value.meta;
    out.wall.push(r.wallNs);
    out.gap.push(r.gapNs);
    out.readNs.push(Number(m.readNs));
    out.pauseNs.push(Number(m.pauseNs));
    out.reads.push(m.reads);
    out.bytes.push(m.bytes);
    if (m.torn.length > 0) out.torn++;
    if (m.attempts > 1) out.retried++;
  }
}

async function idle(h: Hog, windowNs: number, count: number, out: Series): Promise<void> {
  const w = Math.max(1, windowNs / 1e6);
  const n = Math.max(Math.min(5, count), Math.min(count, Math.floor(IDLE_BUDGET_MS / w)));
  for (let i = 0; i < n; i++) {
    const r = await measure(h, () => sleep(w));
    out.wall.push(r.wallNs);
    out.gap.push(r.gapNs);
  }
}

async function bench(build: FixtureBuild, binary: string, root: string): Promise<Result> {
  const started = Date.now();
  const h = await Hog.start(build, binary, QUICK ? 120 : 300);
  const res: Result = {
    build,
    size: statSync(binary).size,
    goVersion: '',
    liveRunning: liveStats(),
    livePaused: liveStats(),
    consistent: liveStats(),
    idleRunning: series(),
    idlePaused: series(),
    idleConsistent: series(),
    idleLong: series(),
    classicOutput: '',
    cold: series(),
    coldCommands: [],
    warm: series(),
    cli: series(),
    classic: series(),
    gapSource: h.gapCommand ? 'memhog `gap` command' : 'heartbeat arrival stamps (1 ms heartbeats)',
    seconds: 0,
  };
  try {
    note(`${basename(binary)} (${bytes(res.size)}): memhog pid ${h.pid}, target-side gaps from ${res.gapSource}`);
    await sleep(500); // let it reach its working set

    // 3. cold, then warm: open + first live sample + close.
    let warmDir = '';
    for (let i = 0; i < REPS.cold; i++) {
      const dir = join(root, `cache-cold-${i}`); // empty: the layout is resolved through MI
      const r = await measure(h, () => openFirstClose(h, dir));
      if (r.value.cached) res.cold.failures.push('cache hit on an empty cache dir');
      res.cold.wall.push(r.wallNs);
      res.cold.gap.push(r.gapNs);
      res.coldCommands.push(r.value.commands);
      warmDir = dir;
    }
    for (let i = 0; i < REPS.warm; i++) {
      const r = await measure(h, () => openFirstClose(h, warmDir));
      if (!r.value.cached) res.warm.failures.push('layout not cached');
      res.warm.wall.push(r.wallNs);
      res.warm.gap.push(r.gapNs);
    }

    // 1 and 2. one attached session: live on the running target, live on the paused one, consistent.
    const t = await LocalTarget.open({ pid: h.pid, log, cacheDir: warmDir });
    openTargets.add(t);
    res.goVersion = t.info.goVersion;
    try {
      await t.sample('live'); // warm-up
      await samples(h, t, 'live', N, res.liveRunning);
      await h.command('pause', 'paused');
      await samples(h, t, 'live', N, res.livePaused);
      await h.command('resume', 'resumed');
      await samples(h, t, 'consistent', N, res.consistent);
    } finally {
      await t.close();
      openTargets.delete(t);
      checkRunning(h);
    }

    // Baselines with no gdb attached: as many windows, as long as the samples they pair with.
    await sleep(200);
    await idle(h, median(res.liveRunning.wall), N, res.idleRunning);
    await idle(h, median(res.consistent.wall), N, res.idleConsistent);
    await h.command('pause', 'paused');
    await idle(h, median(res.livePaused.wall), N, res.idlePaused);
    await h.command('resume', 'resumed');

    // The CLI as a whole process, warm cache.
    for (let i = 0; i < REPS.cli; i++) {
      const r = await measure(h, () => cliRun(h, warmDir));
      if (!r.value.ok) res.cli.failures.push(r.value.detail);
      res.cli.wall.push(r.wallNs);
      res.cli.gap.push(r.gapNs);
    }

    // 4. the classic way.
    const py = join(root, 'classic-mstat.py');
    writeFileSync(py, CLASSIC_PY);
    for (let i = 0; i < REPS.classic; i++) {
      const r = await measure(h, () => classicRun(h, py));
      if (!r.value.ok) res.classic.failures.push(r.value.detail);
      else res.classicOutput ||= r.value.stdout;
      res.classic.wall.push(r.wallNs);
      res.classic.gap.push(r.gapNs);
      await sleep(100);
    }

    // No-gdb windows as long as a classic run.
    await idle(h, median(res.classic.wall), Math.max(REPS.classic, 5), res.idleLong);
  } finally {
    await h.stop();
    res.seconds = (Date.now() - started) / 1000;
  }
  return res;
}

// ------------------------------------------------------------------- report

function report(r: Result): void {
  const base = median(r.classic.wall);
  const baseGap = median(r.classic.gap);
  const fails = (s: Series): string => (s.failures.length ? ` ⚠ ${s.failures.length}/${s.wall.length} failed` : '');
  const row = (name: string, s: Series, extra: string): string[] => [
    name + fails(s),
    ms(median(s.wall)),
    ms(p95(s.wall)),
    ratio(median(s.wall), base),
    s.gap.length ? `${ms(median(s.gap))} / ${ms(maxOf(s.gap))}` : '–',
    ratio(median(s.gap), baseGap),
    `${s.wall.length}`,
    extra,
  ];
  const io = (s: LiveStats): string => `${median(s.reads)} reads, ${bytes(median(s.bytes))}`;

  print(`### ${basename(r.build.path)}: ${r.goVersion || r.build.goVersion}, ${r.build.variant} build, ${bytes(r.size)}`);
  print();
  print(
    'Wall time per operation; ratio = median ÷ median of the classic row. Target-side max pause = the largest gap between the ' +
      `target's own 1 ms ticks during the operation (median / max over runs; from ${r.gapSource}); its ratio is against the classic row's median.`,
  );
  print();
  print(
    table(
      ['operation', 'median', 'p95', 'ratio vs classic', 'target-side max pause (median / max)', 'pause vs classic', 'runs', 'notes (median)'],
      [
        row('mstat-bridge live sample (attached, target allocating)', r.liveRunning, io(r.liveRunning)),
        row('mstat-bridge live sample (attached, target paused/quiet)', r.livePaused, io(r.livePaused)),
        row('mstat-bridge consistent sample', r.consistent, io(r.consistent)),
        row('cold open+first sample', r.cold, `layout resolved with ${median(r.coldCommands)} MI commands`),
        row('warm open+first sample', r.warm, 'layout from the cache'),
        row('mstat CLI process (warm)', r.cli, '`npx tsx clients/cli/mstat.ts --pid P`'),
        row('classic gdb -batch + Python (whole process)', r.classic, 'all-stop attach, dump, detach'),
      ],
    ),
  );
  print();

  print('Target-side pause vs what the tool reports (`meta.pauseNs`), and vs the same target with no gdb attached (same number of windows, same length):');
  print();
  const pr = (name: string, s: Series, tool: number[] | undefined, idle: Series | undefined): string[] => [
    name,
    tool ? `${ms(median(tool))} / ${ms(p95(tool))}` : '–',
    `${ms(median(s.gap))} / ${ms(p95(s.gap))} / ${ms(maxOf(s.gap))}`,
    tool && median(tool) > 0 ? ratio(median(s.gap), median(tool)) : '–',
    idle ? `${ratio(median(s.gap), median(idle.gap))} / ${ratio(maxOf(s.gap), maxOf(idle.gap))}` : '–',
    ms(median(s.wall)),
    `${s.gap.length}`,
  ];
  print(
    table(
      ['scenario', 'meta.pauseNs median / p95', 'target max gap median / p95 / max', 'gap ÷ pauseNs', 'gap vs no-gdb (median / max)', 'window', 'windows'],
      [
        pr('no gdb attached, allocating (baseline for live)', r.idleRunning, undefined, undefined),
        pr('live samples, allocating', r.liveRunning, r.liveRunning.pauseNs, r.idleRunning),
        pr('no gdb attached, quiet (baseline for live, quiet)', r.idlePaused, undefined, undefined),
        pr('live samples, quiet', r.livePaused, r.livePaused.pauseNs, r.idlePaused),
        pr('no gdb attached, allocating (baseline for consistent)', r.idleConsistent, undefined, undefined),
        pr('consistent samples, allocating', r.consistent, r.consistent.pauseNs, r.idleConsistent),
        pr('no gdb attached, allocating (baseline for classic)', r.idleLong, undefined, undefined),
        pr('classic gdb -batch + Python (all-stop)', r.classic, undefined, r.idleLong),
      ],
    ),
  );
  print();
  const lr = r.liveRunning;
  const lp = r.livePaused;
  const c = r.consistent;
  print(
    `- live samples: meta.readNs median ${ms(median(lr.readNs))} allocating, ${ms(median(lp.readNs))} quiet; retried after a torn read ` +
      `${lr.retried}/${lr.wall.length} allocating, ${lp.retried}/${lp.wall.length} quiet; still torn after 5 attempts: ${lr.torn} and ${lp.torn}.`,
  );
  print(`- consistent samples: retried ${c.retried}/${c.wall.length}, still torn ${c.torn}.`);
  const fields = [...r.classicOutput.matchAll(/^(\w+) = /gm)].map((m) => m[1]);
  if (fields.length) print(`- the classic script printed ${fields.length} fields of runtime.memstats: ${fields.join(', ')}.`);
  for (const [name, s] of [['live', lr], ['live quiet', lp], ['consistent', c], ['cold', r.cold], ['warm', r.warm], ['CLI', r.cli], ['classic', r.classic]] as const) {
    for (const f of new Set(s.failures)) print(`- ⚠ ${name}: ${f}`);
  }
  print(`- this section took ${r.seconds.toFixed(0)} s.`);
  print();
}

// --------------------------------------------------------------------- main

/** small = the newest toolchain's default build, large = its -tags large build: only the size differs. */
function pickTargets(): FixtureBuild[] {
  if (!existsSync(join(BUILD_DIR, 'manifest.json')) || !fixtures().some((f) => f.variant === 'large')) {
    note('no large build in the fixture manifest: running scripts/build-fixtures.sh (waits for a concurrent build)');
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'build-fixtures.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('scripts/build-fixtures.sh failed');
  }
  const large = fixture({ variant: 'large' });
  const small = fixture({ toolchain: large.toolchain });
  return [small, large];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  tmpRoot = mkdtempSync(join(tmpdir(), 'mstat-bench-'));
  const targets = pickTargets();
  const gdbVersion = await run(process.env.MSTAT_GDB || 'gdb', ['--version'], process.env, 10_000).then((r) => r.stdout.split('\n')[0] ?? '?');
  const results: Result[] = [];
  for (const b of targets) {
    // A private copy: the build dir is rebuilt concurrently, and the build ID must not change under us.
    const dir = join(tmpRoot, basename(b.path));
    const bin = join(dir, basename(b.path));
    mkdirSync(dir, { recursive: true });
    copyFileSync(b.path, bin);
    chmodSync(bin, 0o755);
    results.push(await bench(b, bin, dir));
  }
  print(`## mstat-bridge sample benchmark`);
  print();
  print(
    `${new Date().toISOString()} · Node ${process.version} · ${gdbVersion} · ${cpus().length} CPU (${cpus()[0]?.model.trim() ?? '?'}) · ` +
      `${N} samples per series, ${REPS.cold} cold / ${REPS.warm} warm opens, ${REPS.cli} CLI and ${REPS.classic} classic runs per target${QUICK ? ' (--quick)' : ''} · ` +
      `memhog -workers 4 -heartbeat 1ms`,
  );
  print();
  print(`Load average at start: ${load} (other work on this machine skews wall times; ratios within one run are the stable part).`);
  print();
  print(`Targets: the default and the large build of memhog with the same toolchain, so only the size differs. Each runs from a private copy; nothing else is touched.`);
  print();
  print(
    table(
      ['target', 'build', 'size', 'cold open+first sample', 'warm open+first sample', 'live sample (allocating)', 'consistent sample', 'classic gdb -batch'],
      results.map((r, i) => [
        i === 0 ? 'small' : 'large',
        `${basename(r.build.path)} (${r.goVersion || r.build.goVersion}, ${r.build.variant})`,
        bytes(r.size),
        ...[r.cold, r.warm, r.liveRunning, r.consistent, r.classic].map((s) => ms(median(s.wall))),
      ]),
    ),
  );
  print();
  print('Medians of wall time; details per target below.');
  print();
  for (const r of results) report(r);
  print(`Total ${((Date.now() - t0) / 1000).toFixed(0)} s.${stoppedLeft ? ` ⚠ a target was left stopped ${stoppedLeft} time(s) and resumed by SIGCONT.` : ' No target was ever left stopped.'}`);
}

try {
  await main();
} catch (err) {
  // After Ctrl-C the cleanup closes targets under the running loop: that error is expected.
  if (!cleaning) note(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
