// Benchmark (not a test, no assertions): kill gdb and kill the bridge, again and again, while
// a subscriber samples one memhog in consistent mode at 10 ms; count what must never happen
// and time the recovery; this checkout beside a baseline revision in the same run (issue 16
// items 3 and 4).
//
//   npx tsx scripts/bench-chaos.ts [--gdb-kills 200] [--bridge-kills 200] [--recycles 20]
//                                  [--target-kills 50] [--interval 10] [--baseline b706eda | --no-baseline]
//
// gdb kills: SIGKILL of the session's gdb at a random moment (0-300 ms after a sample, so it
// lands in stops, reads and idle time alike); the notice is the subscriber's GDB_FAILED (or
// any error) frame, the recovery the first sample after it, both from the kill.
// Bridge kills: SIGKILL of the whole bridge; "released" is when the target is untraced and
// not stopped, "stopped" counts a target found in group-stop 3 s after the kill (before any
// SIGCONT of ours), "orphans" the bridge's gdbs still alive 3 s after the kill.
// Target kills: SIGKILL of the target; the notice is the subscriber's target-exited frame,
// and "orphans" the session's gdbs still alive 3 s after it.
// Recycles (this checkout only): the gap between two samples when the session swaps gdbs.
//
// Safety: only processes started here are touched; a target found stopped is SIGCONTed
// (and counted), every bridge and target is stopped on exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixture } from './kit/fixtures.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { baselineCheckout, ROOT } from './bench/baseline.ts';
import { BridgeProc } from './bench/bridge-proc.ts';
import { maxOf, median, note, print, ratio, table } from './bench/report.ts';
import { sleep } from './kit/time.ts';
import { stillAlive, targetState } from './bench/target-check.ts';
import { WsSub } from './bench/ws-sub.ts';

const USAGE = `usage: npx tsx scripts/bench-chaos.ts [--gdb-kills N] [--bridge-kills N] [--recycles N] [--interval MS] [--baseline REV | --no-baseline]

  --gdb-kills N      SIGKILLs of gdb per checkout (default 200)
  --bridge-kills N   SIGKILLs of the bridge per checkout (default 200)
  --target-kills N   SIGKILLs of the target per checkout (default 50)
  --recycles N       gdb swaps timed (this checkout; default 20; 0 skips)
  --interval MS      the subscriber's interval, consistent mode (default 10)
  --baseline REV     measured beside this checkout (default b706eda); --no-baseline: this one only`;

const o = benchArgs(USAGE, {
    'gdb-kills': { type: 'string', default: '200' },
    'bridge-kills': { type: 'string', default: '200' },
    recycles: { type: 'string', default: '20' },
    'target-kills': { type: 'string', default: '50' },
    interval: { type: 'string', default: '10' },
    baseline: { type: 'string', default: 'b706eda' },
    'no-baseline': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
});
const count = (v: string, what: string): number => {
  if (!/^\d+$/.test(v)) {
    usageError(USAGE, `--${what} takes a whole number`);
  }
  return Number(v);
};
const GDB_KILLS = count(o['gdb-kills']!, 'gdb-kills');
const BRIDGE_KILLS = count(o['bridge-kills']!, 'bridge-kills');
const RECYCLES = count(o.recycles!, 'recycles');
const TARGET_KILLS = count(o['target-kills']!, 'target-kills');
const INTERVAL = Math.max(10, count(o.interval!, 'interval'));
const NO_RECOVERY_MS = 20_000;

const scratch = mkdtempSync(join(tmpdir(), 'mstat-chaos-'));
const bridges = new Set<BridgeProc>();
const targets = new Set<GoTarget>();
let cleaning: Promise<void> | undefined;
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    await Promise.all([...bridges].map((b) => b.stop()));
    for (const t of targets) resumeIfStopped(t.pid);
    await Promise.all([...targets].map((t) => t.stop()));
    rmSync(scratch, { recursive: true, force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

interface Harm {
  stopped: number;
  killed: number;
  traced: number;
  orphans: number;
}
const noHarm = (): Harm => ({ stopped: 0, killed: 0, traced: 0, orphans: 0 });

async function newTarget(): Promise<GoTarget> {
  const t = await GoTarget.start(fixture(), ['-heartbeat', '0', '-deadline', '7200s']);
  targets.add(t);
  return t;
}

/** A section's target is ended with it: a busy memhog left running would load the next sections. */
async function endTarget(t: GoTarget): Promise<void> {
  resumeIfStopped(t.pid);
  await t.stop();
  targets.delete(t);
}

async function startBridge(root: string, label: string, args: string[] = []): Promise<BridgeProc> {
  const b = await BridgeProc.start(root, join(scratch, `cache-${label.replace(/\W+/g, '-')}`), { logPath: join(scratch, `${label.replace(/\W+/g, '-')}.log`), args });
  bridges.add(b);
  return b;
}

/** The target after a kill: counted if dead, stopped or traced by something else than `tracerOk`. */
function check(h: Harm, t: GoTarget, tracerOk: (tracer: number) => boolean): boolean {
  const s = targetState(t.pid);
  if (!s.alive) {
    h.killed++;
    return false;
  }
  if (s.stopped && s.tracer === 0) {
    h.stopped++;
    resumeIfStopped(t.pid);
  }
  if (!tracerOk(s.tracer)) h.traced++;
  return true;
}

interface GdbKills {
  notice: number[];
  recovery: number[];
  lost: number;
  harm: Harm;
}

async function gdbKills(root: string, label: string): Promise<GdbKills> {
  const r: GdbKills = { notice: [], recovery: [], lost: 0, harm: noHarm() };
  let target = await newTarget();
  const b = await startBridge(root, `${label}-gdb`);
  let sub = await WsSub.subscribe(b.url, 'k', target.pid, INTERVAL, 'consistent');
  const seenGdbs = new Set<number>();
  try {
    if (!(await sub.nextSample(30_000))) throw new Error(`${label}: no first sample`);
    for (let i = 0; i < GDB_KILLS; i++) {
      await sub.nextSample(5000);
      await sleep(Math.random() * 300);
      const gdb = b.gdbPids()[0];
      if (gdb === undefined) {
        i--;
        continue;
      }
      seenGdbs.add(gdb);
      const from = sub.events.length;
      const at = Date.now();
      process.kill(gdb, 'SIGKILL');
      // The notice: the first error frame after the kill; then the first sample after it.
      let noticeAt = 0;
      while (Date.now() - at < NO_RECOVERY_MS && noticeAt === 0) {
        noticeAt = sub.events.slice(from).find((e) => e.type === 'error' || e.type === 'target-exited')?.at ?? 0;
        if (noticeAt === 0) await sleep(1);
      }
      let recovered = false;
      if (noticeAt > 0) {
        r.notice.push(noticeAt - at);
        while (Date.now() - at < NO_RECOVERY_MS && !(recovered = sub.lastSampleAt > noticeAt)) await sleep(1);
      }
      if (recovered) r.recovery.push(sub.lastSampleAt - at);
      else r.lost++;
      const gdbs = new Set(b.gdbPids());
      if (!check(r.harm, target, (tr) => gdbs.has(tr))) {
        sub.close();
        target = await newTarget();
        sub = await WsSub.subscribe(b.url, `k${i}`, target.pid, INTERVAL, 'consistent');
        await sub.nextSample(30_000);
      }
      if ((i + 1) % 20 === 0) note(`${label}: ${i + 1} gdb kills, recovery p50 ${median(r.recovery).toFixed(0)} ms`);
    }
  } finally {
    sub.close();
    await b.stop();
    bridges.delete(b);
    await sleep(1000); // the supervisors' watch ends
    r.harm.orphans += stillAlive(seenGdbs).length;
    check(r.harm, target, (tr) => tr === 0);
    await endTarget(target);
  }
  return r;
}

interface BridgeKills {
  released: number[];
  firstSample: number[];
  harm: Harm;
}

async function bridgeKills(root: string, label: string): Promise<BridgeKills> {
  const r: BridgeKills = { released: [], firstSample: [], harm: noHarm() };
  let target = await newTarget();
  for (let i = 0; i < BRIDGE_KILLS; i++) {
    const started = Date.now();
    const b = await startBridge(root, `${label}-bridge`);
    const sub = await WsSub.subscribe(b.url, 'b', target.pid, INTERVAL, 'consistent');
    if (await sub.nextSample(30_000)) r.firstSample.push(sub.lastSampleAt - started);
    await sleep(100 + Math.random() * 400);
    const kids = b.descendantPids();
    const at = Date.now();
    b.kill('SIGKILL');
    let releasedAt = 0;
    while (Date.now() - at < 3000) {
      const s = targetState(target.pid);
      if (!s.alive || (s.tracer === 0 && !s.stopped)) {
        releasedAt ||= Date.now();
      } else releasedAt = 0; // a thread may still drop into group-stop after the tracer left
      await sleep(5);
    }
    await b.exited;
    bridges.delete(b);
    sub.close();
    if (releasedAt > 0) r.released.push(releasedAt - at);
    r.harm.orphans += stillAlive(kids).length;
    if (!check(r.harm, target, (tr) => tr === 0)) target = await newTarget();
    if ((i + 1) % 10 === 0) note(`${label}: ${i + 1} bridge kills, released p50 ${median(r.released).toFixed(0)} ms`);
  }
  await endTarget(target);
  return r;
}

async function targetKills(root: string, label: string): Promise<{ notice: number[]; missed: number; orphans: number }> {
  const r = { notice: [] as number[], missed: 0, orphans: 0 };
  const b = await startBridge(root, `${label}-target`);
  try {
    for (let i = 0; i < TARGET_KILLS; i++) {
      const target = await newTarget();
      const sub = await WsSub.subscribe(b.url, `t${i}`, target.pid, INTERVAL, 'consistent');
      await sub.nextSample(30_000);
      await sleep(Math.random() * 300);
      const gdbs = b.gdbPids();
      const at = Date.now();
      process.kill(target.pid, 'SIGKILL');
      let noticeAt = 0;
      while (Date.now() - at < NO_RECOVERY_MS && noticeAt === 0) {
        noticeAt = sub.events.find((e) => e.type === 'target-exited')?.at ?? 0;
        if (noticeAt === 0) await sleep(1);
      }
      if (noticeAt > 0) r.notice.push(noticeAt - at);
      else r.missed++;
      sub.close();
      await target.exit;
      targets.delete(target);
      await sleep(3000 - (Date.now() - at));
      r.orphans += stillAlive(gdbs).length;
      if ((i + 1) % 10 === 0) note(`${label}: ${i + 1} target kills, notice p50 ${median(r.notice).toFixed(0)} ms`);
    }
  } finally {
    await b.stop();
    bridges.delete(b);
  }
  return r;
}

/** Gaps between consecutive samples around gdb swaps (this checkout's --gdb-recycle-samples). */
async function recycleGaps(): Promise<{ swaps: number; gaps: number[]; usual: number; errors: string }> {
  const target = await newTarget();
  const b = await startBridge(ROOT, 'recycle', ['--gdb-recycle-samples', '100']);
  const sub = await WsSub.subscribe(b.url, 'r', target.pid, INTERVAL, 'consistent');
  const arrivals: number[] = [];
  const gdbs = new Set<number>();
  try {
    await sub.nextSample(30_000);
    while (gdbs.size <= RECYCLES) {
      if (await sub.nextSample(10_000)) arrivals.push(sub.lastSampleAt);
      for (const g of b.gdbPids()) gdbs.add(g);
    }
  } finally {
    sub.close();
    await b.stop();
    bridges.delete(b);
    await endTarget(target);
  }
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
  const sorted = [...gaps].sort((a, b) => b - a);
  const errors = sub.events.filter((e) => e.type === 'error').map((e) => e.code ?? '?');
  return { swaps: gdbs.size - 1, gaps: sorted.slice(0, gdbs.size - 1), usual: median(gaps), errors: errors.length === 0 ? '0' : `${errors.length} (${[...new Set(errors)].join(', ')})` };
}

const checkouts: Array<[string, string]> = [['this checkout', ROOT]];
if (!o['no-baseline']) checkouts.push([`baseline ${o.baseline}`, baselineCheckout(o.baseline!)]);
const gk = new Map<string, GdbKills>();
const bk = new Map<string, BridgeKills>();
const tk = new Map<string, Awaited<ReturnType<typeof targetKills>>>();
let rec: Awaited<ReturnType<typeof recycleGaps>> | undefined;
try {
  for (const [label, root] of checkouts) if (GDB_KILLS > 0) gk.set(label, await gdbKills(root, label));
  for (const [label, root] of checkouts) if (BRIDGE_KILLS > 0) bk.set(label, await bridgeKills(root, label));
  for (const [label, root] of checkouts) if (TARGET_KILLS > 0) tk.set(label, await targetKills(root, label));
  if (RECYCLES > 0) rec = await recycleGaps();
} finally {
  await cleanup();
}

const f = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '–');
const harmCells = (h: Harm): string[] => [String(h.stopped), String(h.killed), String(h.traced), String(h.orphans)];
print(`# Chaos: one memhog sampled by one subscriber in consistent mode at ${INTERVAL} ms; ${GDB_KILLS} gdb SIGKILLs and ${BRIDGE_KILLS} bridge SIGKILLs per checkout`);
print();
print(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); warm path (each bridge's layout cache filled by its first attach). Times from the kill.`);
print();
const ours = gk.get('this checkout');
const base = [...gk.entries()].find(([k]) => k !== 'this checkout')?.[1];
if (gk.size > 0) {
  const rows = [...gk].map(([label, r]) => [label, String(r.recovery.length), f(median(r.notice)), f(maxOf(r.notice)), f(median(r.recovery)), f(maxOf(r.recovery)), String(r.lost), ...harmCells(r.harm)]);
  if (ours && base) rows.push(['ratio (this ÷ baseline)', '', ratio(median(ours.notice), median(base.notice)), ratio(maxOf(ours.notice), maxOf(base.notice)), ratio(median(ours.recovery), median(base.recovery)), ratio(maxOf(ours.recovery), maxOf(base.recovery)), '', '', '', '', '']);
  print('## gdb SIGKILLed');
  print();
  print(table(['checkout', 'recovered', 'notice p50', 'notice max', 'first sample p50', 'first sample max', 'not recovered in 20 s', 'target stopped', 'target killed', 'left traced', 'orphaned gdbs'], rows));
  print();
}
if (bk.size > 0) {
  print('## bridge SIGKILLed');
  print();
  print(table(['checkout', 'kills', 'target released p50', 'released max', 'fresh bridge → first sample p50', 'max', 'target stopped', 'target killed', 'left traced', 'orphaned gdbs'], [...bk].map(([label, r]) => [label, String(r.released.length), f(median(r.released)), f(maxOf(r.released)), f(median(r.firstSample)), f(maxOf(r.firstSample)), ...harmCells(r.harm)])));
  print();
}
if (tk.size > 0) {
  const [a, z] = [tk.get('this checkout'), [...tk.entries()].find(([k]) => k !== 'this checkout')?.[1]];
  const rows = [...tk].map(([label, r]) => [label, String(r.notice.length), f(median(r.notice)), f(maxOf(r.notice)), String(r.missed), String(r.orphans)]);
  if (a && z) rows.push(['ratio (this ÷ baseline)', '', ratio(median(a.notice), median(z.notice)), ratio(maxOf(a.notice), maxOf(z.notice)), '', '']);
  print('## target SIGKILLed');
  print();
  print(table(['checkout', 'target-exited seen', 'notice p50', 'notice max', 'no notice in 20 s', 'orphaned gdbs'], rows));
  print();
}
if (rec) {
  print(`## gdb recycled every 100 samples (this checkout): ${rec.swaps} swaps`);
  print();
  print(table(['usual gap between samples', 'gap at a swap p50', 'gap at a swap max', 'error frames'], [[f(rec.usual), f(median(rec.gaps)), f(maxOf(rec.gaps)), rec.errors]]));
}
