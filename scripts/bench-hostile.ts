// Hostile input, replayed against this checkout's bridge and against a baseline revision's
// (default: 49e6740, main before issue 13), each as a real subprocess, in the same run:
// DNS rebinding, another local user, FIFO cores, a gdb flood (spellings of one core), frame
// and list-targets floods with a witness subscriber, a 10k-frame fuzz with injection
// strings. Prints one table: attempts, what each bridge did (refused with which code), the
// witness's largest gap between samples (as a ratio to the baseline), crashes, injections.
//
//   npx tsx scripts/bench-hostile.ts [--baseline REV]
//
// Needs root (an unprivileged user for the local-user row, cores enabled for the gdb flood).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { maxOf, ms, note, print, ratio, table } from './bench/report.ts';
import { sleep } from './kit/time.ts';
import { descendants } from './kit/process-tree.ts';
import { createTempUser } from './kit/temp-user.ts';
import { dumpQuietCore } from './kit/core-dump.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixture } from './kit/fixtures.ts';
import { benchArgs } from './bench/args.ts';
import { baselineCheckout, ROOT } from './bench/baseline.ts';

const values = benchArgs('usage: npx tsx scripts/bench-hostile.ts [--baseline REV]', { baseline: { type: 'string', default: '49e6740' }, help: { type: 'boolean', short: 'h' } });
const scratch = mkdtempSync(join(tmpdir(), 'mstat-hostile-'));


interface Running {
  port: number;
  child: ChildProcess;
  exited: boolean;
}

/** `bridge/main.ts` of `repo` on a free loopback port. */
async function startBridge(repo: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'bridge', 'main.ts'), '--listen', '127.0.0.1:0', '--log-level', 'info', ...args], {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Running = { port: 0, child, exited: false };
  child.on('exit', () => (r.exited = true));
  child.stderr!.resume();
  r.port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bridge did not listen within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /"msg":"bridge listening"/.test(l) ? /"port":(\d+)/.exec(l) : null;
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (c) => reject(new Error(`bridge exited (${c})`)));
  });
  return r;
}

async function stop(b: Running): Promise<void> {
  if (!b.exited) b.child.kill('SIGKILL');
  await sleep(200);
  for (const d of descendants(b.child.pid!)) {
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** A WebSocket client: messages in order, and when each arrived. */
class Client {
  readonly ws: WebSocket;
  readonly messages: Array<{ type: string; code?: string; subscription?: string; at: number }> = [];
  readonly opened: Promise<void>;
  constructor(port: number, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers });
    this.ws.on('message', (d) => {
      try {
        this.messages.push({ ...(JSON.parse(d.toString()) as { type: string }), at: performance.now() });
      } catch {
        /* not ours */
      }
    });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }
  send(m: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }
  async waitFor(pred: (m: Client['messages'][number]) => boolean, timeoutMs: number): Promise<Client['messages'][number] | undefined> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(pred);
      if (m || performance.now() > end) return m;
      await sleep(5);
    }
  }
  close(): void {
    this.ws.terminate();
  }
}

function status(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, setHost: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
    req.end();
  });
}

/** The largest gap between a witness's samples while `during` runs (ms clock → ns). */
async function witnessGap(port: number, pid: number, intervalMs: number, during: () => Promise<void>): Promise<number> {
  const w = new Client(port);
  await w.opened;
  w.send({ type: 'subscribe', id: 'w', target: { pid }, intervalMs });
  await w.waitFor((m) => m.type === 'sample', 15_000);
  await sleep(3 * intervalMs);
  const from = w.messages.length;
  const t0 = performance.now();
  await during();
  await sleep(2 * intervalMs);
  const times = [t0, ...w.messages.slice(from).filter((m) => m.type === 'sample').map((m) => m.at), performance.now()];
  w.close();
  return maxOf(times.slice(1).map((t, i) => (t - times[i]!) * 1e6));
}

/**
 * `connections` clients in another process (so that sending does not hold up the witness's
 * clock here), each sending `frames` copies of `frame` as fast as it can, then reading
 * replies for `readMs`. Returns what came back, as a table cell.
 */
function flood(port: number, connections: number, frames: number, frame: string, readMs: number): Promise<string> {
  const script = `const W=require('ws');let replies=0,limited=0,open=0;
for(let c=0;c<${connections};c++){const w=new W('ws://127.0.0.1:${port}/v1/ws');w.on('error',()=>{});
w.on('message',d=>{replies++;if(String(d).includes('RATE_LIMITED'))limited++});
w.on('open',()=>{open++;for(let i=0;i<${frames};i++)w.send(${JSON.stringify(frame)})})}
setTimeout(()=>{console.log(replies+' replies'+(limited?' ('+limited+' RATE_LIMITED)':''));process.exit(0)},${readMs})`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules') }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => resolve(out.trim()));
  });
}

interface Outcome {
  cells: Record<string, string>;
  gaps: Record<string, number>;
  crashes: number;
  injections: number;
}

async function attack(repo: string, isBaseline: boolean, go: GoTarget, core: { core: string; exe: string }): Promise<Outcome> {
  const label = isBaseline ? `baseline ${values.baseline}` : 'this checkout';
  const cells: Record<string, string> = {};
  const gaps: Record<string, number> = {};
  let crashes = 0;
  const openArgs = isBaseline ? [] : ['--no-auth'];
  const fresh = (extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Running> => startBridge(repo, [...openArgs, ...extra], env);
  const done = async (b: Running): Promise<void> => {
    if (b.exited) crashes++;
    await stop(b);
  };

  note(`${label}: DNS rebinding`);
  {
    const b = await fresh();
    const evil = `attacker.example:${b.port}`;
    const up = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const got = [await status(b.port, '/v1/ws', { host: evil, origin: `http://${evil}`, ...up }), await status(b.port, '/metrics', { host: evil }), await status(b.port, '/healthz', { host: evil })];
    cells.rebind = got.join(' / ');
    await done(b);
  }

  note(`${label}: another local user`);
  {
    // The default setup of each: the baseline has no token at all; ours keeps one in a 0600 file.
    const xdg = mkdtempSync(join(scratch, 'xdg-'));
    const b = await startBridge(repo, [], { XDG_CONFIG_HOME: xdg });
    const user = createTempUser();
    try {
      const script = `const W=require('ws');const w=new W('ws://127.0.0.1:${b.port}/v1/ws');let n=0;w.on('unexpected-response',(q,r)=>{console.log('HTTP '+r.statusCode);process.exit(0)});w.on('open',()=>w.send(JSON.stringify({type:'subscribe',id:'x',target:{pid:${go.pid}},intervalMs:10,mode:'consistent'})));w.on('message',d=>{if(JSON.parse(d).type==='sample')n++});setTimeout(()=>{console.log(n+' consistent samples');process.exit(0)},3000);w.on('error',e=>{console.log(e.message);process.exit(0)})`;
      const out = execFileSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', process.execPath, '-e', script], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules') } }).trim();
      cells.localUser = `${out} in 3 s`;
    } finally {
      user.remove();
    }
    await done(b);
  }

  note(`${label}: FIFO cores`);
  {
    const b = await fresh();
    const c = new Client(b.port);
    await c.opened;
    for (let i = 0; i < 6; i++) {
      const fifo = join(scratch, `fifo-${isBaseline ? 'b' : 'c'}-${i}`);
      execFileSync('mkfifo', [fifo]);
      c.send({ type: 'subscribe', id: `f${i}`, target: { core: fifo, exe: core.exe } });
    }
    await sleep(300);
    // A later subscription from another client, to a real core: does it still get served?
    const other = new Client(b.port);
    await other.opened;
    const t0 = performance.now();
    other.send({ type: 'subscribe', id: 'ok', target: { core: core.core, exe: core.exe }, intervalMs: 60_000 });
    const served = await other.waitFor((m) => m.type === 'subscribed' || m.type === 'error', 8000);
    const codes = [...new Set(c.messages.filter((m) => m.type === 'error').map((m) => m.code))];
    cells.fifo = `${codes.join(',') || 'no answer'}; a later subscribe ${served ? `${served.type} in ${ms((served.at - t0) * 1e6)}` : 'hung > 8 s'}`;
    other.close();
    c.close();
    await done(b);
  }

  note(`${label}: gdb flood (20 spellings of one core)`);
  {
    const b = await fresh();
    const c = new Client(b.port);
    await c.opened;
    const dir = core.core.slice(0, core.core.lastIndexOf('/'));
    const name = core.core.slice(core.core.lastIndexOf('/') + 1);
    for (let i = 0; i < 20; i++) c.send({ type: 'subscribe', id: `g${i}`, target: { core: `${dir}${'/.'.repeat(i)}/${name}`, exe: core.exe }, intervalMs: 60_000 });
    await c.waitFor(() => c.messages.filter((m) => m.type === 'subscribed' || m.type === 'error').length >= 20, 60_000);
    await sleep(500);
    const gdbs = descendants(b.child.pid!).filter((d) => d.comm === 'gdb').length;
    cells.gdbFlood = `${gdbs} gdb${gdbs === 1 ? '' : 's'}`;
    c.close();
    await done(b);
  }

  note(`${label}: a witness alone`);
  {
    const b = await fresh();
    gaps.quiet = await witnessGap(b.port, go.pid, 100, () => sleep(3000));
    await done(b);
  }

  note(`${label}: frame flood with a witness`);
  {
    const b = await fresh();
    let out = '';
    gaps.frames = await witnessGap(b.port, go.pid, 100, async () => {
      out = await flood(b.port, 10, 10_000, '{"type":"ping","id":"p"}', 3000);
    });
    cells.frames = out;
    await done(b);
  }

  note(`${label}: list-targets flood with a witness`);
  {
    const b = await fresh();
    let out = '';
    gaps.lists = await witnessGap(b.port, go.pid, 100, async () => {
      out = await flood(b.port, 1, 200, '{"type":"list-targets","id":"l"}', 3000);
    });
    cells.lists = out;
    await done(b);
  }

  note(`${label}: 10k-frame fuzz with injection strings`);
  let injections = 0;
  {
    const b = await fresh(isBaseline ? [] : ['--max-frames-per-second', '100000', '--max-lists-per-minute', '100000']);
    const canary = join(scratch, `canary-${isBaseline ? 'b' : 'c'}`);
    const c = new Client(b.port);
    await c.opened;
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const hostile = [`$(touch ${canary})`, `\`touch ${canary}\``, `;touch ${canary}`, `"\n-gdb-exit\n`, `/tmp/x" -ex "shell touch ${canary}`];
    for (let i = 0; i < 10_000; i++) {
      const h = hostile[i % hostile.length]!;
      const frames = [
        JSON.stringify({ type: 'subscribe', id: `z${i}`, target: { core: `/tmp/${h}`, exe: `/tmp/${h}` } }),
        JSON.stringify({ type: 'subscribe', id: h.slice(0, 60), target: { pid: 1 + Math.floor(rnd() * 1e6) } }),
        JSON.stringify({ type: 'list-targets', id: `x${i}`, ssh: h }),
        Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))).toString('latin1'),
      ];
      c.send(frames[i % frames.length]!);
    }
    await sleep(3000);
    injections = existsSync(canary) ? 1 : 0;
    const alive = await status(b.port, '/healthz', { host: `127.0.0.1:${b.port}` });
    cells.fuzz = `${c.messages.length} replies; /healthz ${alive}`;
    if (alive !== 200) crashes++;
    c.close();
    await done(b);
  }
  return { cells, gaps, crashes, injections };
}

note('preparing: a target, a core, the baseline checkout');
const go = await GoTarget.start(fixture(), ['-heartbeat', '0', '-deadline', '30m']);
const core = await dumpQuietCore(mkdtempSync(join(scratch, 'core-')));
const baseDir = baselineCheckout(values.baseline!);
let base: Outcome;
let ours: Outcome;
try {
  base = await attack(baseDir, true, go, core);
  ours = await attack(ROOT, false, go, core);
} finally {
  await go.stop();
}

print(`# Hostile input: main ${values.baseline} against this checkout (same run, same machine)`);
print();
const rows: Array<[string, string, string]> = [
  ['DNS rebinding: Host attacker.example on /v1/ws, /metrics, /healthz', '3', 'rebind'],
  ['another local user (uid of a temporary account) subscribes, consistent 10 ms, default setup', '1', 'localUser'],
  ['6 FIFO cores, then another client subscribes to a real core', '7', 'fifo'],
  ['20 spellings of one core path', '20', 'gdbFlood'],
  ['10 connections × 10,000 pings', '100,000', 'frames'],
  ['200 list-targets on one connection', '200', 'lists'],
  ['10,000 fuzz frames with injection strings', '10,000', 'fuzz'],
];
print(table(['attack', 'attempts', `main ${values.baseline}`, 'this checkout'], rows.map(([what, n, k]) => [what, n, base.cells[k] ?? '–', ours.cells[k] ?? '–'])));
print();
print(table(['witness (100 ms subscriber) largest gap during', `main ${values.baseline}`, 'this checkout', 'ratio'], [
  ['nothing (3 s, for comparison)', ms(base.gaps.quiet!), ms(ours.gaps.quiet!), ratio(ours.gaps.quiet!, base.gaps.quiet!)],
  ['the frame flood', ms(base.gaps.frames!), ms(ours.gaps.frames!), ratio(ours.gaps.frames!, base.gaps.frames!)],
  ['the list-targets flood', ms(base.gaps.lists!), ms(ours.gaps.lists!), ratio(ours.gaps.lists!, base.gaps.lists!)],
]));
print();
print(table(['', `main ${values.baseline}`, 'this checkout'], [
  ['crashes', String(base.crashes), String(ours.crashes)],
  ['injections', String(base.injections), String(ours.injections)],
]));
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
