// bench-bridge §4: the bridge's RSS every 5 s over a longer run with 100 subscribers.
import { cpuBetween, cpuMark } from '../../kit/cpu.ts';
import type { GoTarget } from '../../kit/go-target.ts';
import { rssKiB } from '../../kit/proc.ts';
import { now, sleep } from '../../kit/time.ts';
import type { BridgeProc } from '../bridge-proc.ts';
import { checkRunning } from '../left-stopped.ts';
import { LoadChild } from './load-child.ts';
import type { LoadReady, LoadReport } from './load-protocol.ts';

export interface SoakResult {
  points: Array<{ s: number; rss: number }>;
  report: LoadReport | undefined;
  ready: LoadReady | undefined;
  cpu: { self: number; kids: number; kidsLost?: boolean };
  rssAfterLeft: number;
  healthAfter: { targets: number; subscribers: number; connections: number } | undefined;
  failure: string | undefined;
}

export async function soak(b: BridgeProc, h: GoTarget, conns: number, seconds: number): Promise<SoakResult> {
  const res: SoakResult = { points: [], report: undefined, ready: undefined, cpu: { self: NaN, kids: NaN }, rssAfterLeft: NaN, healthAfter: undefined, failure: undefined };
  let load: LoadChild | undefined;
  try {
    load = await LoadChild.start({ url: b.url, pid: h.pid, conns, subsPerConn: 1, intervalMs: 100, mode: 'live', concurrency: 50, lifetimeMs: (seconds + 120) * 1000 });
    res.ready = load.ready;
    load.mark();
    const c0 = cpuMark(b.pid);
    const t0 = now();
    for (let k = 0; k * 5 <= seconds; k++) {
      const due = t0 + k * 5e9;
      if (due > now()) await sleep((due - now()) / 1e6);
      res.points.push({ s: (now() - t0) / 1e9, rss: rssKiB(b.pid) });
      checkRunning(h.pid);
    }
    res.cpu = cpuBetween(c0, cpuMark(b.pid));
    res.report = await load.report();
  } catch (err) {
    res.failure = (err as Error).message;
  } finally {
    await load?.stop();
  }
  await sleep(3000);
  res.rssAfterLeft = rssKiB(b.pid);
  res.healthAfter = await b.healthz();
  return res;
}
