// bench-bridge §3: the target's own work, ticks and gaps while sampled at 10 Hz (live,
// consistent), while merely attached, and not attached at all.
import type { GoTarget } from '../../kit/go-target.ts';
import { tracerPid } from '../../kit/proc.ts';
import { sleep } from '../../kit/time.ts';
import type { BridgeProc } from '../bridge-proc.ts';
import { checkRunning } from '../left-stopped.ts';
import type { Mode } from './load-protocol.ts';
import { closeSub, otherMessages, samplesIn, subscribeOne } from './subscriber.ts';
import { targetWindow, waitDetached, type TargetWindow } from './target-window.ts';

export interface SlowRow {
  cond: 'none' | 'idle' | Mode;
  w: TargetWindow;
  pauseNs: number[];
  samplesPerSec: number;
}

export async function slowdownRep(b: BridgeProc, h: GoTarget, seconds: number, out: SlowRow[], problems: string[]): Promise<void> {
  // Not attached: the bridge detaches after its linger once nobody subscribes.
  if (!(await waitDetached(h))) problems.push(`the target stayed traced (TracerPid ${tracerPid(h.pid)}) 15 s after the last unsubscribe`);
  await sleep(300);
  out.push({ cond: 'none', w: await targetWindow(h, seconds), pauseNs: [], samplesPerSec: NaN });
  // 'idle': attached through the bridge (one sample, then one an hour): the cost of being traced.
  // Its pending hour-long timer would not delay a later subscriber: TargetSession.schedule
  // re-arms the timer whenever a new subscriber is due sooner.
  for (const cond of ['live', 'consistent', 'idle'] as const) {
    const mode: Mode = cond === 'idle' ? 'live' : cond;
    const s = await subscribeOne(b, h, `slow-${cond}`, cond === 'idle' ? 3_600_000 : 100, mode);
    try {
      if (s.failure) {
        problems.push(`§3 ${cond}: ${s.failure}`);
        continue;
      }
      await sleep(500);
      const w = await targetWindow(h, seconds);
      const got = samplesIn(s, w.t0, w.t1);
      out.push({ cond, w, pauseNs: got.map((g) => Number(g.m.meta.pauseNs)), samplesPerSec: got.length / ((w.t1 - w.t0) / 1e9) });
      problems.push(...otherMessages(s));
    } finally {
      await closeSub(s);
      checkRunning(h.pid);
    }
  }
}
