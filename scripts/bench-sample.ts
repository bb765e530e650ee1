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
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type Sample } from '../bridge/go/target.ts';
import { LocalTarget } from '../bridge/access/local-target.ts';
import { createRootLogger } from '../bridge/log.ts';
import { BUILD_DIR, fixture, fixtures, type FixtureBuild } from './kit/fixtures.ts';
import type { GoTarget } from './kit/go-target.ts';
import { sleep } from './kit/time.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { ROOT } from './bench/baseline.ts';
import { checkRunning, timesLeftStopped } from './bench/left-stopped.ts';
import { bytes, median, ms, note, print, table } from './bench/report.ts';
import { killChildren, run } from './bench/sample/children.ts';
import { ProbedTarget, type GapSource } from './bench/sample/probed-target.ts';
import { report } from './bench/sample/report.ts';
import { liveStats, series, type LiveStats, type Result, type Series } from './bench/sample/result.ts';
import { CLASSIC_PY, classicRun, cliRun } from './bench/sample/whole-process.ts';

// ------------------------------------------------------------------ arguments

const USAGE = `usage: npx tsx scripts/bench-sample.ts [--samples N] [--quick] [--gap-source auto|command|heartbeats]

  --samples N     samples per live/consistent series (default 200; 40 with --quick)
  --quick         fewer repetitions everywhere (under a minute)
  --gap-source S  how the target-side pause is measured: memhog's \`gap\` command, or the
                  arrival stamps of its 1 ms heartbeats; auto (default) = the command if
                  the fixture has it`;

const opts = benchArgs(USAGE, {
  samples: { type: 'string' },
  quick: { type: 'boolean', default: false },
  'gap-source': { type: 'string', default: 'auto' },
  help: { type: 'boolean', short: 'h' },
});
const QUICK = opts.quick === true;
if (opts.samples !== undefined && !/^[1-9][0-9]*$/.test(opts.samples)) usageError(USAGE, '--samples must be a positive integer');
const gapSource = opts['gap-source'];
if (gapSource !== 'auto' && gapSource !== 'command' && gapSource !== 'heartbeats') usageError(USAGE, '--gap-source must be auto, command or heartbeats');
const GAP_SOURCE: GapSource = gapSource;
const N = opts.samples !== undefined ? Number(opts.samples) : QUICK ? 30 : 200;
const REPS = QUICK ? { cold: 2, warm: 3, cli: 2, classic: 3 } : { cold: 4, warm: 6, cli: 3, classic: 6 };
/** No-gdb baselines: as many windows as the series they pair with, but at most this long each. */
const IDLE_BUDGET_MS = QUICK ? 1500 : 5000;

const log = createRootLogger({ level: 'warn', name: 'bench-sample', destination: 'stderr' });

// ------------------------------------------------------- cleanup (also on Ctrl-C)

const targets = new Set<GoTarget>();
const openTargets = new Set<LocalTarget>();
let tmpRoot: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    killChildren();
    await Promise.all([...openTargets].map((t) => Promise.race([t.close().catch(() => undefined), sleep(3000)])));
    await Promise.all([...targets].map((h) => h.stop()));
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

// ----------------------------------------------------------------- operations

async function openFirstClose(h: ProbedTarget, cacheDir: string): Promise<{ cached: boolean; commands: number; sample: Sample }> {
  const t = await LocalTarget.open({ pid: h.pid, log, cacheDir });
  openTargets.add(t);
  try {
    const sample = await t.sample('live');
    return { cached: t.layoutCached, commands: t.layoutCommands, sample };
  } finally {
    await t.close();
    openTargets.delete(t);
    checkRunning(h.pid);
  }
}

// ----------------------------------------------------------------- per target

async function samples(h: ProbedTarget, t: LocalTarget, mode: 'live' | 'consistent', n: number, out: LiveStats): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await h.measure(() => t.sample(mode));
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

async function idle(h: ProbedTarget, windowNs: number, count: number, out: Series): Promise<void> {
  const w = Math.max(1, windowNs / 1e6);
  const n = Math.max(Math.min(5, count), Math.min(count, Math.floor(IDLE_BUDGET_MS / w)));
  for (let i = 0; i < n; i++) {
    const r = await h.measure(() => sleep(w));
    out.wall.push(r.wallNs);
    out.gap.push(r.gapNs);
  }
}

async function bench(build: FixtureBuild, binary: string, root: string): Promise<Result> {
  const started = Date.now();
  const h = await ProbedTarget.start({ ...build, path: binary }, QUICK ? 120 : 300, GAP_SOURCE, (go) => targets.add(go));
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
      const r = await h.measure(() => openFirstClose(h, dir));
      if (r.value.cached) res.cold.failures.push('cache hit on an empty cache dir');
      res.cold.wall.push(r.wallNs);
      res.cold.gap.push(r.gapNs);
      res.coldCommands.push(r.value.commands);
      warmDir = dir;
    }
    for (let i = 0; i < REPS.warm; i++) {
      const r = await h.measure(() => openFirstClose(h, warmDir));
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
      await h.go.command('pause');
      await samples(h, t, 'live', N, res.livePaused);
      await h.go.command('resume');
      await samples(h, t, 'consistent', N, res.consistent);
    } finally {
      await t.close();
      openTargets.delete(t);
      checkRunning(h.pid);
    }

    // Baselines with no gdb attached: as many windows, as long as the samples they pair with.
    await sleep(200);
    await idle(h, median(res.liveRunning.wall), N, res.idleRunning);
    await idle(h, median(res.consistent.wall), N, res.idleConsistent);
    await h.go.command('pause');
    await idle(h, median(res.livePaused.wall), N, res.idlePaused);
    await h.go.command('resume');

    // The CLI as a whole process, warm cache.
    for (let i = 0; i < REPS.cli; i++) {
      const r = await h.measure(() => cliRun(h, warmDir));
      if (!r.value.ok) res.cli.failures.push(r.value.detail);
      res.cli.wall.push(r.wallNs);
      res.cli.gap.push(r.gapNs);
    }

    // 4. the classic way.
    const py = join(root, 'classic-mstat.py');
    writeFileSync(py, CLASSIC_PY);
    for (let i = 0; i < REPS.classic; i++) {
      const r = await h.measure(() => classicRun(h, py));
      if (!r.value.ok) res.classic.failures.push(r.value.detail);
      else res.classicOutput ||= r.value.stdout;
      res.classic.wall.push(r.wallNs);
      res.classic.gap.push(r.gapNs);
      await sleep(100);
    }

    // No-gdb windows as long as a classic run.
    await idle(h, median(res.classic.wall), Math.max(REPS.classic, 5), res.idleLong);
  } finally {
    await h.go.stop();
    targets.delete(h.go);
    res.seconds = (Date.now() - started) / 1000;
  }
  return res;
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
  print(`Total ${((Date.now() - t0) / 1000).toFixed(0)} s.${timesLeftStopped() ? ` ⚠ a target was left stopped ${timesLeftStopped()} time(s) and resumed by SIGCONT.` : ' No target was ever left stopped.'}`);
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
