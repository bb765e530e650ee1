// bench-bridge's load worker, its own process (forked by scripts/bench/bridge/load-child.ts): it
// holds the WebSocket subscribers, so that their CPU is not the bridge's and the bench's main
// process stays responsive. It counts what arrives without decoding whole samples (a frame's
// head and tail carry what the report needs), and answers the parent over IPC.
import WebSocket from 'ws';
import { maxOf, median, minOf, p95 } from '../report.ts';
import { now, sleep } from '../../kit/time.ts';
import type { FromLoad, LoadReport, LoadStart, ToLoad } from './load-protocol.ts';

const SAMPLE_HEAD = /^\{"type":"sample","subscription":"([^"]+)","seq":(\d+),"time":"([^"]+)"/;
const META_READNS = /"readNs":"(\d+)"/;
const META_DROPPED = /"dropped":(\d+)\}\}$/;

const send = (m: FromLoad): void => void process.send?.(m);
process.on('disconnect', () => process.exit(0)); // the parent is gone: so are we
const sockets: WebSocket[] = [];
interface SubStat {
  count: number;
  lastSeq: number;
  firstAt: number;
  secondAt: number;
}
const subs = new Map<string, SubStat>();
const errors: Record<string, number> = {};
let closes = 0;
let exited = 0;
let stopping = false;
const win = { active: false, t0: 0, frames: 0, bytes: 0, gaps: 0, dropped: 0, reads: new Map<string, number>(), lat: [] as number[] };
let answered = 0;
let onAnswer: (() => void) | undefined;
const countErr = (k: string): void => void (errors[k] = (errors[k] ?? 0) + 1);

function onFrame(data: Buffer): void {
  const n = data.length;
  const head = SAMPLE_HEAD.exec(data.toString('latin1', 0, Math.min(n, 240)));
  if (head) {
    const st = subs.get(head[1]!);
    const seq = Number(head[2]);
    const at = Date.now();
    if (st) {
      if (seq === 1) st.firstAt = at;
      if (seq === 2) st.secondAt = at;
    }
    if (!win.active) {
      if (st) st.lastSeq = seq;
      return;
    }
    const tail = data.toString('latin1', Math.max(0, n - 2000));
    let readNs = Number(META_READNS.exec(tail)?.[1] ?? NaN);
    let dropped = Number(META_DROPPED.exec(tail)?.[1] ?? NaN);
    if (!Number.isFinite(readNs) || !Number.isFinite(dropped)) {
      const m = JSON.parse(data.toString('utf8')) as { meta: { readNs: string; dropped: number } };
      readNs = Number(m.meta.readNs);
      dropped = m.meta.dropped;
    }
    win.frames++;
    win.bytes += n;
    win.dropped += dropped;
    if (st) {
      st.count++;
      if (st.lastSeq > 0 && seq > st.lastSeq + 1) win.gaps += seq - st.lastSeq - 1;
      st.lastSeq = seq;
    }
    const time = head[3]!;
    if (!win.reads.has(time)) win.reads.set(time, readNs);
    win.lat.push(at - Date.parse(time));
    return;
  }
  let m: { type?: string; code?: string; id?: string };
  try {
    m = JSON.parse(data.toString('utf8')) as typeof m;
  } catch {
    countErr('unparsable frame');
    return;
  }
  if ((m.type === 'subscribed' || m.type === 'error') && m.id !== undefined && pending.delete(m.id)) {
    if (m.type === 'subscribed') subscribedIds.add(m.id);
    else countErr(`subscribe: ${m.code}`);
    answered++;
    onAnswer?.();
    return;
  }
  if (m.type === 'error') countErr(`error: ${m.code}`);
  else if (m.type === 'target-exited') exited++;
  else countErr(`unexpected ${m.type}`);
}
const subscribedIds = new Set<string>();
const pending = new Set<string>(); // subscribe sent, not answered yet

async function start(cfg: LoadStart): Promise<void> {
  setTimeout(() => process.exit(3), cfg.lifetimeMs); // bounded, whatever the parent does
  const t0 = Date.now();
  let connected = 0;
  let connectFailed = 0;
  let next = 0;
  const total = cfg.conns * cfg.subsPerConn;
  const allAnswered = new Promise<void>((resolve) => {
    onAnswer = () => {
      if (answered >= total - connectFailed * cfg.subsPerConn) resolve();
    };
  });
  const openOne = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
      ws.once('open', () => {
        connected++;
        sockets.push(ws);
        for (let k = 0; k < cfg.subsPerConn; k++) {
          const id = `c${i}-s${k}`;
          subs.set(id, { count: 0, lastSeq: 0, firstAt: 0, secondAt: 0 });
          pending.add(id);
          ws.send(JSON.stringify({ type: 'subscribe', id, target: { pid: cfg.pid }, intervalMs: cfg.intervalMs, mode: cfg.mode }));
        }
        resolve();
      });
      ws.once('error', (err) => {
        if (ws.readyState !== WebSocket.OPEN && !sockets.includes(ws)) {
          connectFailed++;
          countErr(`connect: ${err.message}`);
          onAnswer?.();
          resolve();
        }
      });
      ws.on('message', (d: Buffer) => onFrame(d));
      ws.on('close', () => {
        if (!stopping) closes++;
      });
    });
  await Promise.all(
    Array.from({ length: Math.min(cfg.concurrency, cfg.conns) }, async () => {
      while (next < cfg.conns) await openOne(next++);
    }),
  );
  onAnswer?.();
  await Promise.race([allAnswered, sleep(60_000)]);
  send({ type: 'ready', connected, connectFailed, subscribed: subscribedIds.size, subscribeFailed: answered - subscribedIds.size, errors: { ...errors }, connectMs: Date.now() - t0 });
}

function report(): LoadReport {
  const perSub = [...subs.values()].map((s) => s.count);
  const firsts = [...subs.values()].filter((s) => s.firstAt > 0 && s.secondAt > 0).map((s) => s.secondAt - s.firstAt);
  const readNs = [...win.reads.values()].filter(Number.isFinite);
  return {
    type: 'report',
    windowMs: (now() - win.t0) / 1e6,
    perSub,
    frames: win.frames,
    bytes: win.bytes,
    seqGaps: win.gaps,
    dropped: win.dropped,
    reads: win.reads.size,
    readNsMedian: median(readNs),
    readNsP95: p95(readNs),
    latencyMedianMs: median(win.lat),
    latencyP95Ms: p95(win.lat),
    latencyMaxMs: maxOf(win.lat),
    firstIntervalMedianMs: median(firsts),
    firstIntervalMinMs: minOf(firsts),
    errors: { ...errors },
    closes,
    exited,
    openNow: sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
  };
}

process.on('message', (raw) => {
  const m = raw as ToLoad;
  if (m.type === 'start') {
    start(m).catch((err: unknown) => {
      send({ type: 'fatal', message: String(err) });
      process.exit(1);
    });
  } else if (m.type === 'mark') {
    win.active = true;
    win.t0 = now();
    win.frames = win.bytes = win.gaps = win.dropped = 0;
    win.reads.clear();
    win.lat = [];
    for (const s of subs.values()) s.count = 0;
  } else if (m.type === 'report') {
    win.active = false;
    send(report());
  } else if (m.type === 'stop') {
    stopping = true;
    for (const ws of sockets) ws.close(1000, 'bench done');
    const deadline = Date.now() + 3000;
    const check = (): void => {
      if (sockets.every((s) => s.readyState === WebSocket.CLOSED) || Date.now() > deadline) {
        for (const s of sockets) s.terminate();
        process.exit(0);
      }
      setTimeout(check, 50);
    };
    check();
  }
});
