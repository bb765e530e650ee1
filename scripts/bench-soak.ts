// Benchmark (not a test, no assertions): a long run of one busy target sampled by several
// WebSocket subscribers, for this checkout and a baseline revision side by side in the same
// run (each its own bridge and its own memhog). Prints RSS of the bridge and of its gdb and the
// sample rate at start, middle and end, with least-squares slopes (issue 16 item 4).
//
//   npx tsx scripts/bench-soak.ts [--minutes 30] [--subscribers 5] [--interval 10] [--mode consistent]
//                                 [--every 10] [--baseline b706eda | --no-baseline]
//
// "samples/s" is what one subscriber received per second (the subscribers share the reads).
// "gdb RSS" is the sum over the gdb processes under the bridge (one here), so a gdb replaced
// midway (a restart or a recycle) shows as a drop, and "gdbs seen" counts them; the slope "one
// gdb" is over the longest stretch of readings by the same gdb.
//
// Safety: only processes started here are touched; bridges stop with SIGTERM (they detach),
// targets are checked for a left-over stop and SIGCONTed, everything is stopped on exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixture } from './kit/fixtures.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { baselineCheckout, ROOT } from './bench/baseline.ts';
import { BridgeProc } from './bench/bridge-proc.ts';
import { rssKiB } from './kit/proc.ts';
import { slope } from './bench/report.ts';
import { bytes, note, print, ratio, table } from './bench/report.ts';
import { sleep } from './kit/time.ts';
import { WsSub } from './bench/ws-sub.ts';

const USAGE = `usage: npx tsx scripts/bench-soak.ts [--minutes M] [--subscribers N] [--interval MS] [--mode live|consistent] [--every S] [--baseline REV | --no-baseline]

  --minutes M       length of the run (default 30; fractions allowed)
  --subscribers N   WebSocket subscribers on the one target (default 5)
  --interval MS     their sampling interval (default 10)
  --mode M          consistent (default) or live
  --every S         seconds between two readings of RSS and rate (default 10)
  --baseline REV    the revision measured beside this checkout (default b706eda: main before issue 16 items 2-4)
  --no-baseline     this checkout only`;

const o = benchArgs(USAGE, {
    minutes: { type: 'string', default: '30' },
    subscribers: { type: 'string', default: '5' },
    interval: { type: 'string', default: '10' },
    mode: { type: 'string', default: 'consistent' },
    every: { type: 'string', default: '10' },
    baseline: { type: 'string', default: 'b706eda' },
    'no-baseline': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
});
const positive = (v: string, what: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    usageError(USAGE, `--${what} takes a positive number`);
  }
  return n;
};
const MINUTES = positive(o.minutes!, 'minutes');
const SUBS = Math.round(positive(o.subscribers!, 'subscribers'));
const INTERVAL = positive(o.interval!, 'interval');
const EVERY = positive(o.every!, 'every');
if (o.mode !== 'live' && o.mode !== 'consistent') {
  usageError(USAGE, `--mode is live or consistent`);
}
const MODE = o.mode;

interface Point {
  s: number;
  bridgeKiB: number;
  gdbKiB: number;
  /** samples/s of subscriber 0 since the previous point */
  rate: number;
  /** the gdbs under the bridge at this reading */
  gdbs?: string;
}

interface Run {
  label: string;
  bridge: BridgeProc;
  target: GoTarget;
  subs: WsSub[];
  points: Point[];
  gdbs: Set<number>;
  errors: Map<string, number>;
  stoppedLeft: number;
}

const scratch = mkdtempSync(join(tmpdir(), 'mstat-soak-'));
const runs: Run[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    for (const r of runs) for (const s of r.subs) s.close();
    await Promise.all(runs.map((r) => r.bridge.stop()));
    for (const r of runs) if (resumeIfStopped(r.target.pid) === 'resumed') r.stoppedLeft++;
    await Promise.all(runs.map((r) => r.target.stop()));
    rmSync(scratch, { recursive: true, force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

async function startRun(label: string, root: string): Promise<Run> {
  const target = await GoTarget.start(fixture(), ['-heartbeat', '0', '-deadline', `${Math.ceil(MINUTES * 60 + 300)}s`]);
  // A cache of its own: the first attach is cold (DWARF read), as on a fresh host.
  const bridge = await BridgeProc.start(root, mkdtempSync(join(scratch, 'cache-')), { logPath: join(scratch, `${label}.log`) });
  const run: Run = { label, bridge, target, subs: [], points: [], gdbs: new Set(), errors: new Map(), stoppedLeft: 0 };
  runs.push(run);
  for (let i = 0; i < SUBS; i++) run.subs.push(await WsSub.subscribe(bridge.url, `s${i}`, target.pid, INTERVAL, MODE));
  if (!(await run.subs[0]!.nextSample(30_000))) throw new Error(`${label}: no sample within 30 s`);
  note(`${label}: bridge ${bridge.pid}, target ${target.pid}, ${SUBS} subscribers at ${INTERVAL} ms ${MODE}`);
  return run;
}

const baseRoot = o['no-baseline'] ? undefined : baselineCheckout(o.baseline!);
try {
  await startRun('this checkout', ROOT);
  if (baseRoot) await startRun(`baseline ${o.baseline}`, baseRoot);
  const t0 = Date.now();
  const last = new Map<Run, { at: number; n: number }>(runs.map((r) => [r, { at: t0, n: r.subs[0]!.samples }]));
  const end = t0 + MINUTES * 60_000;
  for (let k = 1; t0 + k * EVERY * 1000 <= end; k++) {
    await sleep(Math.max(0, t0 + k * EVERY * 1000 - Date.now()));
    for (const r of runs) {
      const gdbs = r.bridge.gdbPids();
      for (const g of gdbs) r.gdbs.add(g);
      const prev = last.get(r)!;
      const at = Date.now();
      const n = r.subs[0]!.samples;
      r.points.push({ s: (at - t0) / 1000, bridgeKiB: rssKiB(r.bridge.pid), gdbKiB: gdbs.reduce((a, g) => a + rssKiB(g), 0), rate: ((n - prev.n) * 1000) / (at - prev.at), gdbs: gdbs.join(',') });
      last.set(r, { at, n });
      if (resumeIfStopped(r.target.pid) === 'resumed') r.stoppedLeft++;
    }
    if (k % Math.max(1, Math.round(60 / EVERY)) === 0) {
      note(runs.map((r) => { const p = r.points[r.points.length - 1]!; return `${r.label}: ${p.s.toFixed(0)} s, bridge ${bytes(p.bridgeKiB * 1024)}, gdb ${bytes(p.gdbKiB * 1024)}, ${p.rate.toFixed(1)}/s`; }).join(' | '));
    }
  }
  for (const r of runs) for (const s of r.subs) for (const e of s.events) if (e.type !== 'subscribed') r.errors.set(`${e.type}${e.code ? ` ${e.code}` : ''}`, (r.errors.get(`${e.type}${e.code ? ` ${e.code}` : ''}`) ?? 0) + 1);
} finally {
  await cleanup();
}

// ------------------------------------------------------------------------ report

/** The longest run of readings by the same gdb(s): a restart's cold-to-warm drop is no trend. */
function longestStretch(ps: Point[]): Point[] {
  let best: Point[] = [];
  let cur: Point[] = [];
  for (const p of ps) {
    if (cur.length > 0 && cur[0]!.gdbs !== p.gdbs) cur = [];
    cur.push(p);
    if (cur.length > best.length) best = cur;
  }
  return best;
}

/** The mean of the points within one reading period of second `s` (one point at least). */
function around(ps: Point[], s: number): Point {
  const near = ps.filter((p) => Math.abs(p.s - s) <= EVERY * 1.5);
  const pick = near.length > 0 ? near : [ps.reduce((a, b) => (Math.abs(b.s - s) < Math.abs(a.s - s) ? b : a))];
  const mean = (f: (p: Point) => number): number => pick.reduce((a, p) => a + f(p), 0) / pick.length;
  return { s, bridgeKiB: mean((p) => p.bridgeKiB), gdbKiB: mean((p) => p.gdbKiB), rate: mean((p) => p.rate) };
}

const dur = MINUTES * 60;
print(`# Soak: ${SUBS} subscribers at ${INTERVAL} ms, ${MODE} mode, ${MINUTES} min, one busy memhog per checkout (run side by side)`);
print();
print(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}). Start, middle and end are the means of the readings within ${(EVERY * 1.5).toFixed(0)} s of ${EVERY} s, ${(dur / 2).toFixed(0)} s and ${dur.toFixed(0)} s (one reading every ${EVERY} s); slopes are least squares over every reading.`);
print();
const rows: string[][] = [];
for (const r of runs) {
  const ps = r.points;
  if (ps.length === 0) continue;
  const [a, m, z] = [around(ps, ps[0]!.s), around(ps, dur / 2), around(ps, ps[ps.length - 1]!.s)];
  const xs = ps.map((p) => p.s / 60);
  const kib = (k: number): string => bytes(k * 1024);
  for (const [name, p] of [['start', a], ['middle', m], ['end', z]] as const) {
    rows.push([r.label, name, `${p.s.toFixed(0)} s`, kib(p.bridgeKiB), kib(p.gdbKiB), p.rate.toFixed(1), '', '']);
  }
  const errs = [...r.errors].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
  rows.push([r.label, 'slope', 'per minute', `${slope(xs, ps.map((p) => p.bridgeKiB)).toFixed(0)} KiB`, `${slope(xs, ps.map((p) => p.gdbKiB)).toFixed(0)} KiB`, `${slope(xs, ps.map((p) => p.rate)).toFixed(2)}`, String(r.gdbs.size), `${errs}; left stopped: ${r.stoppedLeft}`]);
  const one = longestStretch(ps);
  rows.push([r.label, 'slope, one gdb', `${one[0]!.s.toFixed(0)}-${one[one.length - 1]!.s.toFixed(0)} s`, '', `${slope(one.map((p) => p.s / 60), one.map((p) => p.gdbKiB)).toFixed(0)} KiB`, '', '', '']);
}
print(table(['checkout', 'point', 'at', 'bridge RSS', 'gdb RSS', 'samples/s', 'gdbs seen', 'other frames'], rows));
if (runs.length === 2 && runs.every((r) => r.points.length > 1)) {
  const [ours, base] = runs as [Run, Run];
  const g = (r: Run): number => {
    const one = longestStretch(r.points);
    return slope(one.map((p) => p.s / 60), one.map((p) => p.gdbKiB));
  };
  const rate = (r: Run): number => around(r.points, r.points[r.points.length - 1]!.s).rate;
  print();
  print(table(['figure', 'this checkout', `baseline ${o.baseline}`, 'ratio'], [
    ['gdb RSS slope, longest stretch of one gdb (KiB/min)', g(ours).toFixed(1), g(base).toFixed(1), ratio(g(ours), g(base))],
    ['samples/s at the end', rate(ours).toFixed(1), rate(base).toFixed(1), ratio(rate(ours), rate(base))],
  ]));
}
