// bench-bridge's report: the four sections' tables and notes, the bridges' log and the problems,
// as Markdown on stdout.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { basename } from 'node:path';
import { bytes, maxOf, median, minOf, ms, p95, print, ratio, slope, table } from '../report.ts';
import type { FixtureBuild } from '../../kit/fixtures.ts';
import { timesLeftStopped } from '../left-stopped.ts';
import { logSummary } from './bridge-log.ts';
import { gapCell, kib, kidsPct, loadRow, num, pct } from './cells.ts';
import type { LoadResult } from './load.ts';
import type { RateResult } from './rate.ts';
import type { SlowRow } from './slowdown.ts';
import type { SoakResult } from './soak.ts';
import type { TargetWindow } from './target-window.ts';

/** Window lengths (s) and repetitions of the sections. */
export interface Timings {
  rateS: number;
  loadS: number;
  baseS: number;
  slowS: number;
  slowReps: number;
}

type Stopped = { code: number | null; signal: NodeJS.Signals | null; ms: number };

/** Everything one run measured, for the report. */
export interface BridgeBenchRun {
  startedAt: number;
  loadAtStart: string;
  quick: boolean;
  T: Timings;
  clients: number;
  soakS: number;
  build: FixtureBuild;
  goVersion: string;
  rssIdle: number;
  rates: RateResult[];
  gdbAfterRate: number;
  base: LoadResult;
  big: LoadResult;
  slow: SlowRow[];
  stopA: Stopped;
  tracedAfterA: number;
  soakRss0: number;
  sk: SoakResult;
  stopB: Stopped;
  tracedAfterB: number;
  problems: string[];
}

export async function printReport(run: BridgeBenchRun): Promise<void> {
  const { startedAt: t0, loadAtStart: load, quick: Q, T, clients, soakS, build, goVersion, rssIdle, rates, gdbAfterRate, base, big, slow, stopA, tracedAfterA, soakRss0, sk, stopB, tracedAfterB, problems } = run;
  const gdbVersion = await new Promise<string>((resolve) => {
    const p = spawn(process.env.MSTAT_GDB || 'gdb', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.on('close', () => resolve(out.split('\n')[0] ?? '?'));
    p.on('error', () => resolve('?'));
  });
  print('## mstat-bridge service benchmark');
  print();
  print(
    `${new Date().toISOString()} · Node ${process.version} · ${gdbVersion} · ${cpus().length} CPU (${cpus()[0]?.model.trim() ?? '?'}) · ` +
      `target ${basename(build.path)} (${goVersion}, default build, newest toolchain; memhog -workers 4) · ` +
      `bridge: \`node --import tsx bridge/main.ts --listen 127.0.0.1:0\` as a subprocess${Q ? ' · --quick' : ''}`,
  );
  print();
  print(`Load average at start: ${load} (other work on this machine skews everything; ratios within one run are the stable part). CPU % is per core (100 % = one core busy).`);
  print();

  // 1.
  print(`### 1. Sustained samples/s from one target, intervalMs 10 (the floor), ${T.rateS} s per mode`);
  print();
  const live = rates.find((r) => r.mode === 'live');
  print(
    table(
      ['mode', 'samples/s', 'vs live', 'of 100/s', 'meta.readNs median / p95', 'readNs vs live', 'meta.pauseNs median / p95', 'arrival interval median / p95 / max', 'seq gaps / dropped', 'torn / retried', 'memory reads / sample', 'bridge CPU', 'gdb CPU', 'bridge RSS', 'frame'],
      rates.map((r) => [
        r.mode + (r.failure ? ` ⚠ ${r.failure}` : ''),
        num(r.samplesPerSec),
        ratio(r.samplesPerSec, live?.samplesPerSec ?? NaN),
        `${((r.samplesPerSec / 100) * 100).toFixed(0)} %`,
        `${ms(median(r.readNs))} / ${ms(p95(r.readNs))}`,
        ratio(median(r.readNs), median(live?.readNs ?? [])),
        r.mode === 'consistent' ? `${ms(median(r.pauseNs))} / ${ms(p95(r.pauseNs))}` : '0 (live)',
        `${ms(median(r.intervals))} / ${ms(p95(r.intervals))} / ${ms(maxOf(r.intervals))}`,
        `${r.seqGaps} / ${r.dropped}`,
        `${r.torn} / ${r.retried}`,
        num(median(r.miReads), 0),
        pct(r.cpu.self),
        kidsPct(r.cpu),
        kib(r.rssKiB),
        bytes(r.frameBytes),
      ]),
    ),
  );
  print();
  print(
    `- first sample ${rates.map((r) => `${r.mode} ${ms(r.firstSampleMs * 1e6)}`).join(', ')} after \`subscribe\` (the live one includes the attach and a cold layout resolution: the bridge runs with an empty private layout cache).`,
  );
  print(`- the bridge had ${gdbAfterRate} gdb process(es) after this section (one target: 1 expected).`);
  print();

  // 2.
  print(`### 2. Bridge CPU and RSS with ${clients.toLocaleString('en-US')} WebSocket subscribers at 10 Hz (live) on one target, ${T.loadS} s`);
  print();
  print(
    `${clients.toLocaleString('en-US')} real \`ws\` connections on 127.0.0.1, one subscription each (the bridge allows 64 subscriptions per connection, so 10 × 100 is not possible), ` +
      `held by a separate child process; the baseline is 1 connection from the same child, ${T.baseS} s, same bridge process. Bridge CPU = utime+stime of the bridge's node process; ` +
      `gdb CPU = its children; rates per subscriber are samples received in the window ÷ window; reads/s = distinct sample \`time\`s seen (each is one read of the target); ` +
      `latency = arrival − sample \`time\` (the bridge stamps it after the read).`,
  );
  print();
  print(
    table(
      ['run', 'subscribed', 'bridge CPU', 'CPU vs baseline', 'bridge RSS median / max', 'RSS vs baseline', 'gdb CPU', 'load-client CPU', 'per-subscriber samples/s median / p5 / min', 'samples/s total (of expected)', 'target reads/s', 'reads vs baseline', 'latency median / p95 / max', 'dropped / seq gaps', 'bytes sent'],
      [loadRow(base, undefined, 100), loadRow(big, base, 100)],
    ),
  );
  print();
  print(
    `- bridge RSS: ${kib(rssIdle)} right after start, ${kib(big.rssBefore)} before the ${clients}-subscriber run, ${kib(maxOf(big.rss))} at its peak, ` +
      `${kib(big.rssAfterLeft)} 3 s after all clients left; /healthz then: ${JSON.stringify(big.healthAfter ?? null)}; gdb processes during the run: ${big.gdbs}.`,
  );
  for (const r of [base, big]) {
    const rr = r.ready;
    if (rr) {
      print(
        `- ${r.label}: connected ${rr.connected}/${r.conns} (${rr.connectFailed} failed), subscribed ${rr.subscribed}, in ${(rr.connectMs / 1000).toFixed(1)} s` +
          (Object.keys(rr.errors).length ? `; errors ${JSON.stringify(rr.errors)}` : '') +
          (r.report ? `; seq 1 → seq 2 arrival interval median ${r.report.firstIntervalMedianMs.toFixed(0)} ms (min ${r.report.firstIntervalMinMs.toFixed(0)} ms; 100 expected); meta.readNs median ${ms(r.report.readNsMedian)} / p95 ${ms(r.report.readNsP95)}; unexpected closes ${r.report.closes}, target-exited ${r.report.exited}, open at the end ${r.report.openNow}` : ''),
      );
    }
  }
  if (big.target) {
    const b0 = slow.filter((s) => s.cond === 'none');
    print(
      `- the target during the ${clients}-subscriber run: work ${num(big.target.allocsPerSec, 0)} allocs/s (${ratio(big.target.allocsPerSec, median(b0.map((x) => x.w.allocsPerSec)))} of not attached, §3), ` +
        `max gap per second median / p95 / max ${gapCell(big.target)}.`,
    );
  }
  print();

  // 3.
  print(`### 3. Target slowdown while sampled at 10 Hz (${T.slowReps} × ${T.slowS} s windows per condition, interleaved)`);
  print();
  print(
    'Measured by the target itself: work = its workers\' allocation counter (`allocs` in its heartbeats), ticks = its 1 ms progress ticker (`counter`), ' +
      'max gap = largest interval between two progress ticks in each 1 s slice (memhog `gap`, median / p95 / max over slices). Ratios are against "not attached". ' +
      '"Attached, not sampling" is a live subscription at one sample an hour: gdb attached in non-stop mode, no reads. ' +
      'The 100 Hz rows come from §1, the 1,000-subscriber row from §2 (measured earlier in the same run). ' +
      `This machine has ${cpus().length} CPUs: the bridge and its gdb compete with the target for them, so "work" includes plain CPU contention.`,
  );
  print();
  const none = slow.filter((s) => s.cond === 'none');
  const bAllocs = median(none.map((s) => s.w.allocsPerSec));
  const bTicks = median(none.map((s) => s.w.ticksPerSec));
  const bGaps = none.flatMap((s) => s.w.gaps);
  const slowRow = (name: string, ws: TargetWindow[], pauseNs: number[], sps: number[]): string[] => {
    const allocs = median(ws.map((w) => w.allocsPerSec));
    const ticks = median(ws.map((w) => w.ticksPerSec));
    const gaps = ws.flatMap((w) => w.gaps);
    return [
      name,
      num(allocs, 0),
      ratio(allocs, bAllocs),
      num(ticks, 0),
      ratio(ticks, bTicks),
      gaps.length ? `${ms(median(gaps))} / ${ms(p95(gaps))} / ${ms(maxOf(gaps))}` : '–',
      gaps.length ? `${ratio(median(gaps), median(bGaps))} / ${ratio(maxOf(gaps), maxOf(bGaps))}` : '–',
      pauseNs.length ? `${ms(median(pauseNs))} / ${ms(p95(pauseNs))}` : '–',
      sps.length ? num(median(sps)) : '–',
      `${ws.length}`,
    ];
  };
  const sel = (c: SlowRow['cond']): SlowRow[] => slow.filter((s) => s.cond === c);
  print(
    table(
      ['condition', 'work (allocs/s)', 'work vs not attached', 'ticks/s', 'ticks vs not attached', 'max gap per 1 s: median / p95 / max', 'gap vs not attached (median / max)', 'meta.pauseNs median / p95', 'samples/s received', 'windows'],
      [
        slowRow('not attached', none.map((s) => s.w), [], []),
        slowRow('attached, not sampling (live, 1 sample/h)', sel('idle').map((s) => s.w), [], []),
        slowRow('live, 10 Hz', sel('live').map((s) => s.w), [], sel('live').map((s) => s.samplesPerSec)),
        slowRow('consistent, 10 Hz', sel('consistent').map((s) => s.w), sel('consistent').flatMap((s) => s.pauseNs), sel('consistent').map((s) => s.samplesPerSec)),
        ...rates.filter((r) => !r.failure).map((r) => slowRow(`${r.mode}, 100 Hz (§1)`, [r.target], r.mode === 'consistent' ? r.pauseNs : [], [r.samplesPerSec])),
        ...(big.target ? [slowRow(`live, ${clients} subscribers at 10 Hz (§2)`, [big.target], [], [])] : []),
      ],
    ),
  );
  print();

  // 4.
  print(`### 4. Bridge RSS over ${soakS} s with 100 subscribers (100 connections × 1, 10 Hz, live), fresh bridge process`);
  print();
  const pts = sk.points;
  print(table(['t', 'RSS', 'Δ vs first'], pts.map((p) => [`${p.s.toFixed(0)} s`, kib(p.rss), kib(p.rss - (pts[0]?.rss ?? NaN))])));
  print();
  const xs = pts.map((p) => p.s / 60);
  const ys = pts.map((p) => p.rss);
  const warm = pts.filter((p) => p.s >= 9.5); // after the first 10 s (JIT, heap growth to its working size)
  const wy = warm.map((p) => p.rss);
  const rep = sk.report;
  const perSub = rep ? rep.perSub.map((n) => n / (rep.windowMs / 1000)) : [];
  print(
    `- RSS: ${kib(soakRss0)} right after start; over the series min ${kib(minOf(ys))}, max ${kib(maxOf(ys))}, last ${kib(ys[ys.length - 1] ?? NaN)}; ` +
      `slope ${num(slope(xs, ys))} KiB/min over the whole series, ${num(slope(warm.map((p) => p.s / 60), wy))} KiB/min from 10 s on ` +
      `(least squares, ${pts.length} points every 5 s); from 10 s on RSS moves within ${kib(maxOf(wy) - minOf(wy))} (GC sawtooth), so a steady growth much below that per run is not visible here.`,
  );
  print(`- ${kib(sk.rssAfterLeft)} 3 s after the clients left; /healthz then: ${JSON.stringify(sk.healthAfter ?? null)}.`);
  if (sk.failure) print(`- ⚠ ${sk.failure}`);
  if (rep) {
    print(
      `- bridge CPU ${pct(sk.cpu.self)}, gdb ${kidsPct(sk.cpu)}; per-subscriber samples/s median ${num(median(perSub), 2)}, min ${num(minOf(perSub), 2)}; ` +
        `target reads/s ${num(rep.reads / (rep.windowMs / 1000))}; latency median ${rep.latencyMedianMs.toFixed(0)} ms, p95 ${rep.latencyP95Ms.toFixed(0)} ms, max ${rep.latencyMaxMs.toFixed(0)} ms; ` +
        `dropped ${rep.dropped}, seq gaps ${rep.seqGaps}, unexpected closes ${rep.closes}` +
        (Object.keys(rep.errors).length ? `, errors ${JSON.stringify(rep.errors)}` : '') +
        '.',
    );
  }
  print();

  // Problems and the bridge's own log.
  print('### Bridge log and problems');
  print();
  for (const l of logSummary()) print(l);
  print(`- bridge A stopped on SIGTERM in ${stopA.ms} ms (exit ${stopA.code ?? stopA.signal}), B in ${stopB.ms} ms (exit ${stopB.code ?? stopB.signal}); target TracerPid after each: ${tracedAfterA}, ${tracedAfterB}.`);
  for (const r of rates) for (const p of r.problems) print(`- §1 ${r.mode}: ${p}`);
  for (const p of problems) print(`- ⚠ ${p}`);
  print();
  print(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
  print();
  print(`Total ${((Date.now() - t0) / 1000).toFixed(0)} s.${timesLeftStopped() ? ` ⚠ the target was left stopped ${timesLeftStopped()} time(s) and resumed by SIGCONT.` : ' The target was never left stopped.'}`);
}
