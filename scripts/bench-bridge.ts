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
// Target-side effects are measured by the target itself (memhog's heartbeats and its `gap`
// command), never by reading through gdb. Bridge CPU is utime+stime of the bridge's node
// process from /proc/PID/stat; its gdb is a child process and is reported separately.
//
// Safety: only processes started here are touched (the bridge(s), the load-client child, the
// memhog fixture); the bridge is stopped with SIGTERM so it detaches its gdb itself, SIGKILL
// only as a last resort; the target is checked and SIGCONT-ed if ever left stopped untraced;
// everything is stopped on exit, error, Ctrl-C and an overall time limit. All traffic stays on
// 127.0.0.1.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { fixture, type FixtureBuild } from './kit/fixtures.ts';
import { WsClient } from './kit/ws-client.ts';
import type { ServerMessage } from '../protocol/server-messages.ts';
import { CLK_TCK, cpuBetween, cpuMark } from './kit/cpu.ts';
import { descendants } from './kit/process-tree.ts';
import { procStat, rssKiB, tracerPid } from './kit/proc.ts';
import { slope } from './bench/report.ts';
import { bytes, maxOf, median, minOf, ms, note, p95, print, quantile, ratio, table } from './bench/report.ts';
import { now, sleep } from './kit/time.ts';

const ROOT = join(import.meta.dirname, '..');
type Mode = 'live' | 'consistent';

// ------------------------------------------------------------------ utilities

const kib = (k: number): string => bytes(k * 1024);
function num(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 10_000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}
const pct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} %` : '–');
// ------------------------------------------------------------------ /proc

const kidsPct = (c: { kids: number; kidsLost?: boolean }): string => (c.kidsLost ? `≥ ${pct(c.kids)} (gdb restarted)` : pct(c.kids));

// ====================================================================================
// The load-client child: BENCH_BRIDGE_ROLE=load. It holds the WebSocket subscribers so
// that their CPU is not the bridge's and the main process stays responsive.
// ====================================================================================

interface LoadStart {
  type: 'start';
  url: string;
  pid: number;
  conns: number;
  subsPerConn: number;
  intervalMs: number;
  mode: Mode;
  concurrency: number;
  lifetimeMs: number;
}
type ToLoad = LoadStart | { type: 'mark' } | { type: 'report' } | { type: 'stop' };

interface LoadReady {
  type: 'ready';
  connected: number;
  connectFailed: number;
  subscribed: number;
  subscribeFailed: number;
  errors: Record<string, number>;
  connectMs: number;
}
interface LoadReport {
  type: 'report';
  windowMs: number;
  /** samples per subscription inside the window */
  perSub: number[];
  frames: number;
  bytes: number;
  seqGaps: number;
  dropped: number;
  /** distinct sample times seen = reads of the target that reached a subscriber */
  reads: number;
  readNsMedian: number;
  readNsP95: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  /** arrival seq 1 → seq 2, per subscription (whole run) */
  firstIntervalMedianMs: number;
  firstIntervalMinMs: number;
  errors: Record<string, number>;
  closes: number;
  exited: number;
  openNow: number;
}
type FromLoad = LoadReady | LoadReport | { type: 'fatal'; message: string };

const SAMPLE_HEAD = /^\{"type":"sample","subscription":"([^"]+)","seq":(\d+),"time":"([^"]+)"/;
const META_READNS = /"readNs":"(\d+)"/;
const META_DROPPED = /"dropped":(\d+)\}\}$/;

async function loadWorker(): Promise<void> {
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
}

// ====================================================================================
// The main process
// ====================================================================================

const USAGE = `usage: npx tsx scripts/bench-bridge.ts [--quick] [--soak SECONDS] [--clients N]

  --quick          shorter windows everywhere (under ~1.5 min)
  --soak SECONDS   length of the 100-subscriber RSS run (default 60; 20 with --quick)
  --clients N      WebSocket subscribers for the load run (default 1000)`;

interface Opts {
  quick: boolean;
  soakS: number;
  clients: number;
}

function parseOpts(): Opts {
  let values: { quick?: boolean; soak?: string; clients?: string; help?: boolean };
  try {
    values = parseArgs({
      options: { quick: { type: 'boolean', default: false }, soak: { type: 'string' }, clients: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v) || Number(v) < min) {
      process.stderr.write(`--${name} must be an integer >= ${min}\n${USAGE}\n`);
      process.exit(2);
    }
    return Number(v);
  };
  const quick = values.quick === true;
  return { quick, soakS: int('soak', values.soak, 10) ?? (quick ? 20 : 60), clients: int('clients', values.clients, 1) ?? 1000 };
}

// ------------------------------------------------------- cleanup (also on Ctrl-C)

const bridges = new Set<BridgeProc>();
const loads = new Set<LoadChild>();
const hogs = new Set<Hog>();
let tmpRoot: string | undefined;
let cleaning: Promise<void> | undefined;
let stoppedLeft = 0;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const l of loads) l.kill();
    await Promise.all([...bridges].map((b) => b.stop()));
    for (const h of hogs) if (resumeIfStopped(h.pid) === 'resumed') stoppedLeft++;
    await Promise.all([...hogs].map((h) => h.stop()));
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  })();
  return cleaning;
}

// ----------------------------------------------------------- the bridge subprocess

interface LogLine {
  bridge: string;
  level: number;
  msg: string;
  line: string;
}
const bridgeLogs: LogLine[] = [];

class BridgeProc {
  port = 0;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;

  private constructor(readonly label: string, cacheDir: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, MSTAT_CACHE_DIR: cacheDir };
    for (const k of ['MSTAT_TOKEN', 'MSTAT_LISTEN', 'MSTAT_ALLOW_PIDS', 'MSTAT_SCRAPE_ATTACH', 'MSTAT_LOG_LEVEL']) delete env[k];
    // --no-auth: the benchmark is about cost, and its clients run as the bridge's user anyway.
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'bridge/main.ts', '--listen', '127.0.0.1:0', '--log-level', 'info', '--no-auth'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // a terminal Ctrl-C reaches only us; we stop it with SIGTERM (it detaches)
    });
    this.pid = this.proc.pid!;
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.onLine(l));
    createInterface({ input: this.proc.stderr! }).on('line', (l) => {
      if (l.trim()) bridgeLogs.push({ bridge: this.label, level: 50, msg: `stderr: ${l.slice(0, 300)}`, line: l });
    });
  }

  private portWaiter: ((port: number) => void) | undefined;

  private onLine(line: string): void {
    let e: { level?: number; msg?: string; port?: number };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      bridgeLogs.push({ bridge: this.label, level: 40, msg: `non-JSON stdout: ${line.slice(0, 200)}`, line });
      return;
    }
    if (e.msg === 'bridge listening' && typeof e.port === 'number') {
      this.port = e.port;
      this.portWaiter?.(e.port);
      return;
    }
    if (e.msg !== 'bridge closed; every target detached') bridgeLogs.push({ bridge: this.label, level: e.level ?? 0, msg: e.msg ?? '?', line });
  }

  static async start(label: string, cacheDir: string): Promise<BridgeProc> {
    const b = new BridgeProc(label, cacheDir);
    bridges.add(b);
    const port = await Promise.race([
      new Promise<number>((r) => (b.portWaiter = r)),
      b.exited.then((x) => Promise.reject(new Error(`bridge exited before listening (${x.code ?? x.signal})`))),
      sleep(30_000).then(() => Promise.reject(new Error('bridge did not log "bridge listening" within 30 s'))),
    ]);
    note(`bridge ${label}: pid ${b.pid}, ws://127.0.0.1:${port}/v1/ws`);
    return b;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  healthz(): Promise<{ targets: number; subscribers: number; connections: number } | undefined> {
    return new Promise((resolve) => {
      const req = httpGet({ host: '127.0.0.1', port: this.port, path: '/healthz', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as { targets: number; subscribers: number; connections: number });
          } catch {
            resolve(undefined);
          }
        });
      });
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
    });
  }

  /** gdb processes under the bridge right now. */
  gdbCount(): number {
    return [...descendants(this.pid).values()].filter((s) => s.comm === 'gdb').length;
  }

  /** SIGTERM (the bridge detaches every target and exits), SIGKILL after 10 s. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const t0 = Date.now();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        note(`bridge ${this.label} did not exit 10 s after SIGTERM; SIGKILL`);
        bridgeLogs.push({ bridge: this.label, level: 50, msg: 'bench: bridge did not exit within 10 s of SIGTERM (SIGKILLed)', line: '' });
        this.proc.kill('SIGKILL');
      }
    }
    const x = await this.exited;
    bridges.delete(this);
    return { ...x, ms: Date.now() - t0 };
  }
}

// --------------------------------------------------------- the load-client child

class LoadChild {
  private readonly proc: ChildProcess;
  private readonly waiters: Array<{ type: FromLoad['type']; done: (m: FromLoad) => void }> = [];
  readonly exited: Promise<void>;
  ready: LoadReady | undefined;

  private constructor() {
    this.proc = fork(import.meta.filename, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_BRIDGE_ROLE: 'load' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((r) => this.proc.on('exit', () => r()));
    this.proc.on('message', (raw) => {
      const m = raw as FromLoad;
      if (m.type === 'fatal') note(`load client failed: ${m.message}`);
      const i = this.waiters.findIndex((w) => w.type === m.type || m.type === 'fatal');
      if (i >= 0) this.waiters.splice(i, 1)[0]!.done(m);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  private expect<T extends FromLoad['type']>(type: T, timeoutMs: number): Promise<Extract<FromLoad, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load client: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        done: (m) => {
          clearTimeout(timer);
          if (m.type === 'fatal') reject(new Error(`load client: ${m.message}`));
          else resolve(m as Extract<FromLoad, { type: T }>);
        },
      });
      void this.exited.then(() => reject(new Error('load client exited')));
    });
  }

  static async start(cfg: Omit<LoadStart, 'type'>): Promise<LoadChild> {
    const c = new LoadChild();
    loads.add(c);
    const ready = c.expect('ready', 90_000);
    c.proc.send({ type: 'start', ...cfg } satisfies LoadStart);
    c.ready = await ready;
    return c;
  }

  mark(): void {
    this.proc.send({ type: 'mark' } satisfies ToLoad);
  }

  report(): Promise<LoadReport> {
    const r = this.expect('report', 30_000);
    this.proc.send({ type: 'report' } satisfies ToLoad);
    return r;
  }

  async stop(): Promise<void> {
    if (this.proc.connected) this.proc.send({ type: 'stop' } satisfies ToLoad);
    await Promise.race([this.exited, sleep(6000)]);
    this.kill();
    await this.exited;
    loads.delete(this);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

// --------------------------------------------------------------- the fixture

interface Beat {
  t: number;
  counter: number;
  allocs: number;
}
interface HogEvent {
  event: string;
  [k: string]: unknown;
}

class Hog {
  pid = 0;
  goVersion = '';
  readonly beats: Beat[] = [];
  private readonly proc: ChildProcess;
  private readonly waiters: Array<{ pred: (e: HogEvent) => boolean; done: (e: HogEvent) => void }> = [];
  readonly exited: Promise<void>;

  private constructor(binary: string, deadlineS: number) {
    this.proc = spawn(binary, ['-control', '-deadline', `${deadlineS}s`, '-heartbeat', '20ms'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((r) => this.proc.on('exit', () => r()));
    this.proc.stdin!.on('error', () => undefined);
    this.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`[memhog] ${d}`));
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.onLine(l));
  }

  static async start(binary: string, deadlineS: number): Promise<Hog> {
    const h = new Hog(binary, deadlineS);
    hogs.add(h);
    const ready = await h.next((e) => e.event === 'ready', 15_000);
    h.pid = Number(ready.pid);
    h.goVersion = String(ready.goVersion);
    const g = await h.command('gap', 'gap');
    if (typeof g.maxGapNs !== 'number') throw new Error(`this memhog has no \`gap\` command (${JSON.stringify(g)})`);
    return h;
  }

  private onLine(line: string): void {
    const t = now();
    let e: HogEvent;
    try {
      e = JSON.parse(line) as HogEvent;
    } catch {
      return;
    }
    if (e.event === 'heartbeat') {
      this.beats.push({ t, counter: Number(e.counter), allocs: Number(e.allocs) });
      return;
    }
    const i = this.waiters.findIndex((w) => w.pred(e));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.done(e);
  }

  next(pred: (e: HogEvent) => boolean, timeoutMs: number): Promise<HogEvent> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        done: (e: HogEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`memhog ${this.pid || '?'}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  command(cmd: string, expect: string, timeoutMs = 10_000): Promise<HogEvent> {
    const p = this.next((e) => e.event === expect || e.event === 'error', timeoutMs);
    this.proc.stdin!.write(cmd + '\n');
    return p;
  }

  /** Work (allocs) and progress-tick rates per second between t0 and t1, from heartbeats. */
  rates(t0: number, t1: number): { allocs: number; ticks: number } {
    const inside = this.beats.filter((b) => b.t >= t0 && b.t <= t1);
    const a = inside[0];
    const b = inside[inside.length - 1];
    if (!a || !b || b.t <= a.t) return { allocs: NaN, ticks: NaN };
    const s = (b.t - a.t) / 1e9;
    return { allocs: (b.allocs - a.allocs) / s, ticks: (b.counter - a.counter) / s };
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.stdin!.end();
      const done = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
      if (!done && this.pid) {
        try {
          process.kill(this.pid, 'SIGCONT');
          process.kill(this.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    hogs.delete(this);
  }
}

/** What the target itself saw over one window: work rate, tick rate, largest gap per second. */
interface TargetWindow {
  allocsPerSec: number;
  ticksPerSec: number;
  /** largest scheduling gap in each ~1 s slice */
  gaps: number[];
}

/** Runs a window of `seconds` on the target: resets `gap`, then reads it once a second. */
async function targetWindow(h: Hog, seconds: number, during?: { t0?: number }): Promise<TargetWindow & { t0: number; t1: number }> {
  await h.command('gap', 'gap');
  const t0 = now();
  if (during) during.t0 = t0;
  const gaps: number[] = [];
  const end = t0 + seconds * 1e9;
  while (now() < end) {
    await sleep(Math.min(1000, Math.max(1, (end - now()) / 1e6)));
    gaps.push(Number((await h.command('gap', 'gap')).maxGapNs));
  }
  const t1 = now();
  await sleep(60); // the heartbeat after t1 lands
  const r = h.rates(t0, t1);
  return { allocsPerSec: r.allocs, ticksPerSec: r.ticks, gaps, t0, t1 };
}

function checkRunning(h: Hog): void {
  if (resumeIfStopped(h.pid) === 'resumed') {
    stoppedLeft++;
    note(`WARNING: memhog ${h.pid} was left stopped (State T, no tracer); sent SIGCONT`);
  }
}

async function waitDetached(h: Hog, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (tracerPid(h.pid) === 0) return true;
    await sleep(100);
  }
  return false;
}

// ----------------------------------------------------------- one subscriber (WsClient)

interface Sub {
  c: WsClient;
  /** arrival time (ns) of received[i] */
  arrivals: number[];
  id: string;
  subscribedAt: number;
  firstSampleAt: number;
  failure: string | undefined;
}

async function subscribeOne(b: BridgeProc, h: Hog, id: string, intervalMs: number, mode: Mode): Promise<Sub> {
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

async function closeSub(s: Sub): Promise<void> {
  if (!s.failure && s.c.ws.readyState === WebSocket.OPEN) {
    await s.c.request({ type: 'unsubscribe', id: s.id }, 'unsubscribed', s.id).catch(() => undefined);
  }
  s.c.ws.close(1000);
  await Promise.race([s.c.closed, sleep(2000)]);
  s.c.ws.terminate();
}

type SampleMsg = Extract<ServerMessage, { type: 'sample' }>;
/** Samples of `s` that arrived between t0 and t1, with their arrival times. */
function samplesIn(s: Sub, t0: number, t1: number): Array<{ m: SampleMsg; at: number; raw: string }> {
  const out: Array<{ m: SampleMsg; at: number; raw: string }> = [];
  s.c.received.forEach((m, i) => {
    const at = s.arrivals[i] ?? NaN;
    if (m.type === 'sample' && at >= t0 && at <= t1) out.push({ m, at, raw: s.c.raw[i] ?? '' });
  });
  return out;
}
function otherMessages(s: Sub): string[] {
  return s.c.received.filter((m) => m.type === 'error' || m.type === 'target-exited').map((m) => JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

// ------------------------------------------------------------------ sections

interface RateResult {
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

async function sustainedRate(b: BridgeProc, h: Hog, mode: Mode, seconds: number): Promise<RateResult> {
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
    checkRunning(h);
  }
  return res;
}

interface LoadResult {
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

async function loadRun(b: BridgeProc, h: Hog, label: string, conns: number, seconds: number, withTarget: boolean, lifetimeMs: number, after = true): Promise<LoadResult> {
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
    res.gdbs = b.gdbCount();
    res.report = await load.report();
    res.cpu = cpuBetween(c0, c1);
    res.clientCpu = ((lc1 - lc0) / CLK_TCK / ((c1.t - c0.t) / 1e9)) * 100;
  } catch (err) {
    res.failure = (err as Error).message;
  } finally {
    await load?.stop();
    checkRunning(h);
  }
  if (!after) return res;
  await sleep(3000); // the bridge notices the closes and the linger passes
  res.rssAfterLeft = rssKiB(b.pid);
  res.healthAfter = await b.healthz();
  return res;
}

interface SlowRow {
  cond: 'none' | 'idle' | Mode;
  w: TargetWindow;
  pauseNs: number[];
  samplesPerSec: number;
}

async function slowdownRep(b: BridgeProc, h: Hog, seconds: number, out: SlowRow[], problems: string[]): Promise<void> {
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
      checkRunning(h);
    }
  }
}

interface SoakResult {
  points: Array<{ s: number; rss: number }>;
  report: LoadReport | undefined;
  ready: LoadReady | undefined;
  cpu: { self: number; kids: number; kidsLost?: boolean };
  rssAfterLeft: number;
  healthAfter: { targets: number; subscribers: number; connections: number } | undefined;
  failure: string | undefined;
}

async function soak(b: BridgeProc, h: Hog, conns: number, seconds: number): Promise<SoakResult> {
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
      checkRunning(h);
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

// -------------------------------------------------------------------- report

function gapCell(w: TargetWindow | undefined): string {
  if (!w || w.gaps.length === 0) return '–';
  return `${ms(median(w.gaps))} / ${ms(p95(w.gaps))} / ${ms(maxOf(w.gaps))}`;
}

function loadRow(r: LoadResult, base: LoadResult | undefined, intervalMs: number): string[] {
  const rep = r.report;
  const perSub = rep ? rep.perSub.map((n) => n / (rep.windowMs / 1000)) : [];
  const secs = rep ? rep.windowMs / 1000 : NaN;
  const bRep = base?.report;
  return [
    `${r.label}${r.failure ? ` ⚠ ${r.failure}` : ''}`,
    r.ready ? `${r.ready.subscribed}/${r.conns}` : '–',
    pct(r.cpu.self),
    base ? ratio(r.cpu.self, base.cpu.self) : '–',
    `${kib(median(r.rss))} / ${kib(maxOf(r.rss))}`,
    base ? ratio(maxOf(r.rss), maxOf(base.rss)) : '–',
    kidsPct(r.cpu),
    pct(r.clientCpu),
    rep ? `${num(median(perSub), 2)} / ${num(quantile(perSub, 0.05), 2)} / ${num(minOf(perSub), 2)}` : '–',
    rep ? `${num(rep.frames / secs)} (of ${num((r.conns * 1000) / intervalMs, 0)})` : '–',
    rep ? num(rep.reads / secs) : '–',
    rep && bRep ? ratio(rep.reads / secs, bRep.reads / (bRep.windowMs / 1000)) : '–',
    rep ? `${rep.latencyMedianMs.toFixed(0)} / ${rep.latencyP95Ms.toFixed(0)} / ${rep.latencyMaxMs.toFixed(0)} ms` : '–',
    rep ? `${rep.dropped} / ${rep.seqGaps}` : '–',
    rep ? `${bytes(rep.bytes / secs)}/s` : '–',
  ];
}

/** A pino line as `err.message @ file:line ← file:line …` (frames inside the repository), or the raw line. */
function describeLog(line: string): string {
  let e: { err?: { type?: string; message?: string; stack?: string; code?: string }; [k: string]: unknown };
  try {
    e = JSON.parse(line) as typeof e;
  } catch {
    return `\`${line.slice(0, 300)}\``;
  }
  if (!e.err) {
    const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, ...rest } = e;
    return `\`${JSON.stringify(rest).slice(0, 300)}\``;
  }
  const frames = [...(e.err.stack ?? '').matchAll(/(?:\(|\s)(\/[^\s()]+):(\d+):\d+\)?$/gm)]
    .map((m) => `${m[1]!.startsWith(ROOT + '/') ? m[1]!.slice(ROOT.length + 1) : basename(m[1]!)}:${m[2]}`)
    .filter((f) => !f.startsWith('node:') && !f.includes('node_modules'))
    .slice(0, 5);
  const ctx = Object.entries(e)
    .filter(([k]) => !['level', 'time', 'pid', 'hostname', 'name', 'err', 'msg'].includes(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  return `${e.err.type ?? 'Error'}${e.err.code ? ` ${e.err.code}` : ''}: \`${(e.err.message ?? '').slice(0, 200)}\`${frames.length ? ` at ${frames.join(' ← ')}` : ''}${ctx ? ` (${ctx})` : ''}`;
}

// --------------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = parseOpts();
  const Q = opts.quick;
  const T = {
    rateS: Q ? 3 : 10,
    loadS: Q ? 8 : 20,
    baseS: Q ? 2 : 5,
    slowS: Q ? 3 : 6,
    slowReps: Q ? 1 : 2,
  };
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
  const h = await Hog.start(bin, Math.ceil(hardLimitS + 60));
  note(`memhog ${h.pid} (${h.goVersion}, ${basename(bin)}, ${bytes(statSync(bin).size)}): -workers 4 -heartbeat 20ms`);
  await sleep(500);

  // ---- bridge A: sections 1-3
  const a = await BridgeProc.start('A', cacheDir);
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
  const gdbAfterRate = a.gdbCount();

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
  const stopA = await a.stop();
  checkRunning(h);
  if (stopA.code !== 0) problems.push(`bridge A exited with ${stopA.code ?? stopA.signal} on SIGTERM`);
  const tracedAfterA = tracerPid(h.pid);

  // ---- bridge B: section 4, fresh process
  note(`4. soak: 100 subscribers at 10 Hz for ${opts.soakS} s on a fresh bridge`);
  const bB = await BridgeProc.start('B', cacheDir);
  const soakRss0 = rssKiB(bB.pid);
  const sk = await soak(bB, h, 100, opts.soakS);
  const stopB = await bB.stop();
  checkRunning(h);
  if (stopB.code !== 0) problems.push(`bridge B exited with ${stopB.code ?? stopB.signal} on SIGTERM`);
  const tracedAfterB = tracerPid(h.pid);

  // ------------------------------------------------------------------ print
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
      `target ${basename(build.path)} (${h.goVersion}, default build, newest toolchain; memhog -workers 4) · ` +
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
  print(`### 2. Bridge CPU and RSS with ${opts.clients.toLocaleString('en-US')} WebSocket subscribers at 10 Hz (live) on one target, ${T.loadS} s`);
  print();
  print(
    `${opts.clients.toLocaleString('en-US')} real \`ws\` connections on 127.0.0.1, one subscription each (the bridge allows 64 subscriptions per connection, so 10 × 100 is not possible), ` +
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
    `- bridge RSS: ${kib(rssIdle)} right after start, ${kib(big.rssBefore)} before the ${opts.clients}-subscriber run, ${kib(maxOf(big.rss))} at its peak, ` +
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
      `- the target during the ${opts.clients}-subscriber run: work ${num(big.target.allocsPerSec, 0)} allocs/s (${ratio(big.target.allocsPerSec, median(b0.map((x) => x.w.allocsPerSec)))} of not attached, §3), ` +
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
        ...(big.target ? [slowRow(`live, ${opts.clients} subscribers at 10 Hz (§2)`, [big.target], [], [])] : []),
      ],
    ),
  );
  print();

  // 4.
  print(`### 4. Bridge RSS over ${opts.soakS} s with 100 subscribers (100 connections × 1, 10 Hz, live), fresh bridge process`);
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
  const byMsg = new Map<string, { n: number; level: number; first: string; bridge: string }>();
  for (const l of bridgeLogs) {
    const k = `${l.bridge}\u0000${l.msg}`;
    const e = byMsg.get(k);
    if (e) e.n++;
    else byMsg.set(k, { n: 1, level: l.level, first: l.line, bridge: l.bridge });
  }
  const levelName = (n: number): string => ({ 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' })[n] ?? String(n);
  if (byMsg.size === 0) print('- the bridges logged nothing but `bridge listening` (at --log-level info).');
  for (const [k, e] of byMsg) print(`- bridge ${e.bridge} ${levelName(e.level)} ×${e.n}: ${k.split('\u0000')[1]} — first: ${describeLog(e.first)}`);
  print(`- bridge A stopped on SIGTERM in ${stopA.ms} ms (exit ${stopA.code ?? stopA.signal}), B in ${stopB.ms} ms (exit ${stopB.code ?? stopB.signal}); target TracerPid after each: ${tracedAfterA}, ${tracedAfterB}.`);
  for (const r of rates) for (const p of r.problems) print(`- §1 ${r.mode}: ${p}`);
  for (const p of problems) print(`- ⚠ ${p}`);
  print();
  print(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
  print();
  print(`Total ${((Date.now() - t0) / 1000).toFixed(0)} s.${stoppedLeft ? ` ⚠ the target was left stopped ${stoppedLeft} time(s) and resumed by SIGCONT.` : ' The target was never left stopped.'}`);
}

// ------------------------------------------------------------------ entry

if (process.env.BENCH_BRIDGE_ROLE === 'load') {
  await loadWorker();
} else {
  try {
    await main();
  } catch (err) {
    if (!cleaning) note(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
