// One subscriber of bench-bridge's sections: a full client (every frame decoded and kept) with
// each frame's arrival time, subscribed to the target and closed again.
import WebSocket from 'ws';
import type { ServerMessage } from '../../../protocol/server-messages.ts';
import type { GoTarget } from '../../kit/go-target.ts';
import { now, sleep } from '../../kit/time.ts';
import { WsClient } from '../../kit/ws-client.ts';
import type { BridgeProc } from '../bridge-proc.ts';
import type { Mode } from './load-protocol.ts';

export interface Sub {
  c: WsClient;
  /** arrival time (ns) of received[i] */
  arrivals: number[];
  id: string;
  subscribedAt: number;
  firstSampleAt: number;
  failure: string | undefined;
}

export async function subscribeOne(b: BridgeProc, h: GoTarget, id: string, intervalMs: number, mode: Mode): Promise<Sub> {
  const c = new WsClient(b.url);
  const arrivals: number[] = [];
  c.ws.on('message', () => (arrivals[c.received.length - 1] = now())); // runs after WsClient's own listener
  await c.opened;
  const t0 = now();
  const s: Sub = { c, arrivals, id, subscribedAt: 0, firstSampleAt: 0, failure: undefined };
  const r = await c.request({ type: 'subscribe', id, target: { pid: h.pid }, intervalMs, mode }, 'subscribed', id);
  if (r.type === 'error') {
    s.failure = `${r.code}: ${r.message}`;
    return s;
  }
  s.subscribedAt = now() - t0;
  try {
    await c.next('sample', (m) => m.subscription === id, 20_000);
    s.firstSampleAt = now() - t0;
  } catch {
    s.failure = `subscribed, but no sample within 20 s (intervalMs ${intervalMs}, ${mode})`;
  }
  return s;
}

export async function closeSub(s: Sub): Promise<void> {
  if (!s.failure && s.c.ws.readyState === WebSocket.OPEN) {
    await s.c.request({ type: 'unsubscribe', id: s.id }, 'unsubscribed', s.id).catch(() => undefined);
  }
  s.c.ws.close(1000);
  await Promise.race([s.c.closed, sleep(2000)]);
  s.c.ws.terminate();
}

export type SampleMsg = Extract<ServerMessage, { type: 'sample' }>;
/** Samples of `s` that arrived between t0 and t1, with their arrival times. */
export function samplesIn(s: Sub, t0: number, t1: number): Array<{ m: SampleMsg; at: number; raw: string }> {
  const out: Array<{ m: SampleMsg; at: number; raw: string }> = [];
  s.c.received.forEach((m, i) => {
    const at = s.arrivals[i] ?? NaN;
    if (m.type === 'sample' && at >= t0 && at <= t1) out.push({ m, at, raw: s.c.raw[i] ?? '' });
  });
  return out;
}
export function otherMessages(s: Sub): string[] {
  return s.c.received.filter((m) => m.type === 'error' || m.type === 'target-exited').map((m) => JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
