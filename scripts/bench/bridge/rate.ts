// bench-bridge §1: the samples/s one subscriber gets from one target at intervalMs 10 (the
// floor), with what each sample cost (meta), the bridge's and its gdb's CPU, and the target's own
// view of the window.
import { cpuBetween, cpuMark } from '../../kit/cpu.ts';
import type { GoTarget } from '../../kit/go-target.ts';
import { rssKiB } from '../../kit/proc.ts';
import { sleep } from '../../kit/time.ts';
import type { BridgeProc } from '../bridge-proc.ts';
import { checkRunning } from '../left-stopped.ts';
import { median } from '../report.ts';
import type { Mode } from './load-protocol.ts';
import { closeSub, otherMessages, samplesIn, subscribeOne } from './subscriber.ts';
import { targetWindow, type TargetWindow } from './target-window.ts';

export interface RateResult {
  mode: Mode;
  failure: string | undefined;
  firstSampleMs: number;
  samplesPerSec: number;
  readNs: number[];
  pauseNs: number[];
  miReads: number[];
  intervals: number[];
  seqGaps: number;
  dropped: number;
  torn: number;
  retried: number;
  frameBytes: number;
  cpu: { self: number; kids: number; kidsLost?: boolean };
  rssKiB: number;
  target: TargetWindow;
  problems: string[];
}

export async function sustainedRate(b: BridgeProc, h: GoTarget, mode: Mode, seconds: number): Promise<RateResult> {
  const res: RateResult = {
    mode,
    failure: undefined,
    firstSampleMs: NaN,
    samplesPerSec: NaN,
    readNs: [],
    pauseNs: [],
    miReads: [],
    intervals: [],
    seqGaps: 0,
    dropped: 0,
    torn: 0,
    retried: 0,
    frameBytes: NaN,
    cpu: { self: NaN, kids: NaN },
    rssKiB: NaN,
    target: { allocsPerSec: NaN, ticksPerSec: NaN, gaps: [] },
    problems: [],
  };
  const s = await subscribeOne(b, h, `rate-${mode}`, 10, mode);
  try {
    if (s.failure) {
      res.failure = s.failure;
      return res;
    }
    res.firstSampleMs = s.firstSampleAt / 1e6;
    await sleep(1000); // steady state
    const c0 = cpuMark(b.pid);
    const w = await targetWindow(h, seconds);
    const c1 = cpuMark(b.pid);
    res.cpu = cpuBetween(c0, c1);
    res.rssKiB = rssKiB(b.pid);
    res.target = w;
    const got = samplesIn(s, w.t0, w.t1);
    res.samplesPerSec = got.length / ((w.t1 - w.t0) / 1e9);
    for (let i = 0; i < got.length; i++) {
      const { m, at } = got[i]!;
      res.readNs.push(Number(m.meta.readNs));
      res.pauseNs.push(Number(m.meta.pauseNs));
      res.miReads.push(m.meta.reads);
      res.dropped += m.meta.dropped;
      if (m.meta.torn.length > 0) res.torn++;
      if (m.meta.attempts > 1) res.retried++;
      if (i > 0) {
        res.intervals.push(at - got[i - 1]!.at);
        const gap = m.seq - got[i - 1]!.m.seq - 1;
        if (gap > 0) res.seqGaps += gap;
      }
    }
    res.frameBytes = median(got.map((g) => Buffer.byteLength(g.raw)));
    res.problems.push(...otherMessages(s));
  } finally {
    await closeSub(s);
    s.c.received.length = 0;
    s.c.raw.length = 0;
    checkRunning(h.pid);
  }
  return res;
}
