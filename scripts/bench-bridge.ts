// Benchmark (not a test, no assertions): the mstat-bridge service as a whole, run as a real
// subprocess (`node --import tsx bridge/main.ts`), against the memhog fixture (default build,
// newest toolchain), all measured in the same run:
//
//   1. sustained samples/s from one target at intervalMs 10 (the floor), live and consistent;
//   2. bridge CPU and RSS with 1,000 WebSocket subscribers at 10 Hz on one target (the clients
//      run in a separate child process, so their CPU is not counted as the bridge's);
//   3. target slowdown while sampled at 10 Hz: the target's own work counter and largest
//      scheduling gap, not attached vs live vs consistent;
//   4. bridge RSS over a longer run with 100 subscribers (--soak SECONDS).
//
//   npx tsx scripts/bench-bridge.ts [--quick] [--soak SECONDS] [--clients N]
//
// This file is the flow; the sections, the load worker (its own process) and the report are
// in scripts/bench/bridge/.
//
// Target-side effects are measured by the target itself (memhog's heartbeats and its `gap`
// command), never by reading through gdb. Bridge CPU is utime+stime of the bridge's node
// process from /proc/PID/stat; its gdb is a child process and is reported separately.
//
// Safety: only processes started here are touched (the bridge(s), the load-client child, the
// memhog fixture); the bridge is stopped with SIGTERM so it detaches its gdb itself, SIGKILL
// only as a last resort; the target is checked and SIGCONT-ed if ever left stopped untraced;
// everything is stopped on exit, error, Ctrl-C and an overall time limit. All traffic stays on
// 127.0.0.1.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fixture, type FixtureBuild } from './kit/fixtures.ts';
import { GoTarget } from './kit/go-target.ts';
import { rssKiB, tracerPid } from './kit/proc.ts';
import { sleep } from './kit/time.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { ROOT } from './bench/baseline.ts';
import { BridgeProc } from './bench/bridge-proc.ts';
import { checkRunning, resumeLeftStopped } from './bench/left-stopped.ts';
import { bytes, note } from './bench/report.ts';
import { bridgeLogs, keepLogOf } from './bench/bridge/bridge-log.ts';
import { LoadChild } from './bench/bridge/load-child.ts';
import { loadRun } from './bench/bridge/load.ts';
import { sustainedRate, type RateResult } from './bench/bridge/rate.ts';
import { printReport } from './bench/bridge/report.ts';
import { slowdownRep, type SlowRow } from './bench/bridge/slowdown.ts';
import { soak } from './bench/bridge/soak.ts';

const USAGE = `usage: npx tsx scripts/bench-bridge.ts [--quick] [--soak SECONDS] [--clients N]

  --quick          shorter windows everywhere (under ~1.5 min)
  --soak SECONDS   length of the 100-subscriber RSS run (default 60; 20 with --quick)
  --clients N      WebSocket subscribers for the load run (default 1000)`;

const values = benchArgs(USAGE, { quick: { type: 'boolean', default: false }, soak: { type: 'string' }, clients: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
const int = (name: string, v: string | undefined, min: number): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) < min) usageError(USAGE, `--${name} must be an integer >= ${min}`);
  return Number(v);
};
const Q = values.quick === true;
const opts = { soakS: int('soak', values.soak, 10) ?? (Q ? 20 : 60), clients: int('clients', values.clients, 1) ?? 1000 };
const T = {
  rateS: Q ? 3 : 10,
  loadS: Q ? 8 : 20,
  baseS: Q ? 2 : 5,
  slowS: Q ? 3 : 6,
  slowReps: Q ? 1 : 2,
};

// ------------------------------------------------------- cleanup (also on Ctrl-C)

const bridges = new Set<BridgeProc>();
const targets = new Set<GoTarget>();
let tmpRoot: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const l of LoadChild.running) l.kill();
    await Promise.all([...bridges].map((b) => b.stop()));
    for (const h of targets) resumeLeftStopped(h.pid);
    await Promise.all([...targets].map((h) => h.stop()));
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  })();
  return cleaning;
}

async function startBridge(label: string, cacheDir: string): Promise<BridgeProc> {
  // This bench measures capacity: a thousand subscribers come from one address, so the limits
  // that protect a real bridge from one flooding client (32 connections per address, 256 in
  // all) are lifted; bench-hostile measures them.
  const limits = ['--max-connections', '100000', '--max-connections-per-address', '100000'];
  const b = await BridgeProc.start(ROOT, cacheDir, { onLine: keepLogOf(label), args: limits });
  bridges.add(b);
  note(`bridge ${label}: pid ${b.pid}, ${b.url}`);
  return b;
}

async function stopBridge(b: BridgeProc, label: string): ReturnType<BridgeProc['stop']> {
  const x = await b.stop();
  bridges.delete(b);
  if (x.killed) {
    note(`bridge ${label} did not exit 10 s after SIGTERM; SIGKILL`);
    bridgeLogs.push({ bridge: label, level: 50, msg: 'bench: bridge did not exit within 10 s of SIGTERM (SIGKILLed)', line: '' });
  }
  return x;
}

/** The target: memhog with 20 ms heartbeats (its work rate) and the `gap` command (its pauses). */
async function startTarget(build: FixtureBuild, deadlineS: number): Promise<GoTarget> {
  const h = await GoTarget.start(build, ['-deadline', `${deadlineS}s`, '-heartbeat', '20ms'], {}, { detached: true });
  targets.add(h);
  const g = await h.command('gap');
  if (typeof g.maxGapNs !== 'number') throw new Error(`this memhog has no \`gap\` command (${JSON.stringify(g)})`);
  return h;
}

// --------------------------------------------------------------------- main

async function main(): Promise<void> {
  const expectedS = 15 + 2 * (T.rateS + 3) + (T.baseS + 8) + (T.loadS + 15) + T.slowReps * (4 * T.slowS + 14) + opts.soakS + 15;
  const hardLimitS = expectedS * 2 + 120;
  const hard = setTimeout(() => {
    note(`overall time limit (${hardLimitS} s) reached: stopping everything`);
    void cleanup().finally(() => process.exit(1));
  }, hardLimitS * 1000);
  hard.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      note(`${sig}: cleaning up (stopping the bridge, load clients and fixture started here)`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const t0 = Date.now();
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  tmpRoot = mkdtempSync(join(tmpdir(), 'mstat-bench-bridge-'));
  const build: FixtureBuild = fixture(); // default build, newest toolchain
  // A private copy: the build dir may be rebuilt concurrently, and the build ID must not change under us.
  const binDir = join(tmpRoot, 'bin');
  mkdirSync(binDir);
  const bin = join(binDir, basename(build.path));
  copyFileSync(build.path, bin);
  chmodSync(bin, 0o755);
  const cacheDir = join(tmpRoot, 'layout-cache'); // the first attach resolves the layout; later ones hit this cache
  mkdirSync(cacheDir);

  const problems: string[] = [];
  const h = await startTarget({ ...build, path: bin }, Math.ceil(hardLimitS + 60));
  const goVersion = String(h.ready.goVersion);
  note(`memhog ${h.pid} (${goVersion}, ${basename(bin)}, ${bytes(statSync(bin).size)}): -workers 4 -heartbeat 20ms`);
  await sleep(500);

  // ---- bridge A: sections 1-3
  const a = await startBridge('A', cacheDir);
  const rssIdle = rssKiB(a.pid);

  // 1. sustained rate at the floor
  note(`1. sustained rate: ${T.rateS} s per mode at intervalMs 10`);
  const rates: RateResult[] = [];
  for (const mode of ['live', 'consistent'] as const) {
    try {
      rates.push(await sustainedRate(a, h, mode, T.rateS));
    } catch (err) {
      problems.push(`§1 ${mode}: ${(err as Error).message}`);
    }
  }
  const gdbAfterRate = a.gdbPids().length;

  // 2. N subscribers at 10 Hz, with a 1-subscriber baseline on the same bridge
  note(`2. load: 1 subscriber for ${T.baseS} s, then ${opts.clients} for ${T.loadS} s, 10 Hz each`);
  const base = await loadRun(a, h, '1 connection × 1 subscription (baseline)', 1, T.baseS, false, (T.baseS + 90) * 1000, false);
  const big = await loadRun(a, h, `${opts.clients.toLocaleString('en-US')} connections × 1 subscription`, opts.clients, T.loadS, true, (T.loadS + 150) * 1000);

  // 3. target slowdown at 10 Hz
  note(`3. target slowdown: ${T.slowReps} × (not attached, attached idle, live, consistent), ${T.slowS} s each`);
  const slow: SlowRow[] = [];
  for (let i = 0; i < T.slowReps; i++) {
    try {
      await slowdownRep(a, h, T.slowS, slow, problems);
    } catch (err) {
      problems.push(`§3 repetition ${i + 1}: ${(err as Error).message}`);
    }
  }
  const stopA = await stopBridge(a, 'A');
  checkRunning(h.pid);
  if (stopA.code !== 0) problems.push(`bridge A exited with ${stopA.code ?? stopA.signal} on SIGTERM`);
  const tracedAfterA = tracerPid(h.pid);

  // ---- bridge B: section 4, fresh process
  note(`4. soak: 100 subscribers at 10 Hz for ${opts.soakS} s on a fresh bridge`);
  const bB = await startBridge('B', cacheDir);
  const soakRss0 = rssKiB(bB.pid);
  const sk = await soak(bB, h, 100, opts.soakS);
  const stopB = await stopBridge(bB, 'B');
  checkRunning(h.pid);
  if (stopB.code !== 0) problems.push(`bridge B exited with ${stopB.code ?? stopB.signal} on SIGTERM`);
  const tracedAfterB = tracerPid(h.pid);

  await printReport({
    startedAt: t0, loadAtStart: load, quick: Q, T, clients: opts.clients, soakS: opts.soakS, build, goVersion,
    rssIdle, rates, gdbAfterRate, base, big, slow, stopA, tracedAfterA, soakRss0, sk, stopB, tracedAfterB, problems,
  });
}

try {
  await main();
} catch (err) {
  if (!cleaning) note(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
