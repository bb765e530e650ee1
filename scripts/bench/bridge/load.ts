// bench-bridge §2: N WebSocket subscribers at 10 Hz on one target, held by the load worker;
// the bridge's CPU and RSS meanwhile, and what it was like once they left.
import { CLK_TCK, cpuBetween, cpuMark } from '../../kit/cpu.ts';
import type { GoTarget } from '../../kit/go-target.ts';
import { procStat, rssKiB } from '../../kit/proc.ts';
import { sleep } from '../../kit/time.ts';
import type { BridgeProc } from '../bridge-proc.ts';
import { checkRunning } from '../left-stopped.ts';
import { note } from '../report.ts';
import { LoadChild } from './load-child.ts';
import type { LoadReady, LoadReport } from './load-protocol.ts';
import { targetWindow, type TargetWindow } from './target-window.ts';

export interface LoadResult {
  label: string;
  conns: number;
  subsPerConn: number;
  ready: LoadReady | undefined;
  report: LoadReport | undefined;
  cpu: { self: number; kids: number; kidsLost?: boolean };
  clientCpu: number;
  rss: number[];
  rssBefore: number;
  rssAfterLeft: number;
  healthAfter: { targets: number; subscribers: number; connections: number } | undefined;
  gdbs: number;
  target: TargetWindow | undefined;
  failure: string | undefined;
}

export async function loadRun(b: BridgeProc, h: GoTarget, label: string, conns: number, seconds: number, withTarget: boolean, lifetimeMs: number, after = true): Promise<LoadResult> {
  const res: LoadResult = {
    label,
    conns,
    subsPerConn: 1,
    ready: undefined,
    report: undefined,
    cpu: { self: NaN, kids: NaN },
    clientCpu: NaN,
    rss: [],
    rssBefore: rssKiB(b.pid),
    rssAfterLeft: NaN,
    healthAfter: undefined,
    gdbs: NaN,
    target: undefined,
    failure: undefined,
  };
  let load: LoadChild | undefined;
  try {
    load = await LoadChild.start({ url: b.url, pid: h.pid, conns, subsPerConn: 1, intervalMs: 100, mode: 'live', concurrency: 50, lifetimeMs });
    res.ready = load.ready;
    note(`${label}: ${load.ready!.connected}/${conns} connected, ${load.ready!.subscribed} subscribed in ${load.ready!.connectMs} ms`);
    await sleep(2000); // past the subscribe burst
    const l = load;
    load.mark();
    const c0 = cpuMark(b.pid);
    const lc0 = procStat(l.pid)?.ticks ?? NaN;
    const rssTimer = setInterval(() => res.rss.push(rssKiB(b.pid)), 1000);
    try {
      if (withTarget) res.target = await targetWindow(h, seconds);
      else await sleep(seconds * 1000);
    } finally {
      clearInterval(rssTimer);
    }
    const c1 = cpuMark(b.pid);
    const lc1 = procStat(l.pid)?.ticks ?? NaN;
    res.rss.push(rssKiB(b.pid));
    res.gdbs = b.gdbPids().length;
    res.report = await load.report();
    res.cpu = cpuBetween(c0, c1);
    res.clientCpu = ((lc1 - lc0) / CLK_TCK / ((c1.t - c0.t) / 1e9)) * 100;
  } catch (err) {
    res.failure = (err as Error).message;
  } finally {
    await load?.stop();
    checkRunning(h.pid);
  }
  if (!after) return res;
  await sleep(3000); // the bridge notices the closes and the linger passes
  res.rssAfterLeft = rssKiB(b.pid);
  res.healthAfter = await b.healthz();
  return res;
}
