// A real bridge on 127.0.0.1:0 in this process, and a small real `ws` client for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import pino from 'pino';
import { z } from 'zod';
import { startBridge, type Bridge } from '../../bridge/bridge.ts';
import { ConfigSchema } from '../../bridge/config-schema.ts';
import { silentLogger } from '../../bridge/log.ts';
import { ServerMessageSchema, type ServerMessage } from '../../protocol/server-messages.ts';

export async function testBridge(t: { teardown(fn: () => unknown): void }, over: Partial<z.input<typeof ConfigSchema>> = {}): Promise<Bridge> {
  // Tests that are not about authentication run the explicit opt-out (bridge-auth.test.ts is).
  const auth = over.token === undefined && over.tokenFile === undefined && over.noAuth === undefined ? { noAuth: true } : {};
  const cfg = ConfigSchema.parse({ host: '127.0.0.1', port: 0, lingerMs: 200, ...auth, ...over });
  const bridge = await startBridge(Object.freeze(cfg), process.env.MSTAT_TEST_LOG ? pino({ level: 'debug' }, pino.destination(process.env.MSTAT_TEST_LOG)) : silentLogger(), { cacheDir: mkdtempSync(join(tmpdir(), 'mstat-cache-')) });
  t.teardown(() => bridge.close());
  return bridge;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  readonly raw: string[] = [];
  private waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts);
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${url}: not open within 15 s`)), 15_000);
      this.ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((r) => this.ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    this.ws.on('message', (d) => {
      const text = d.toString();
      this.raw.push(text);
      const m = z.decode(ServerMessageSchema, JSON.parse(text) as z.input<typeof ServerMessageSchema>);
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(bridge: Bridge, t: { teardown(fn: () => unknown): void }, query = '', opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const c = new TestClient(`ws://127.0.0.1:${bridge.address.port}/v1/ws${query}`, opts);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Next message (already received ones included, from index `from`) matching pred. */
  next<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 15_000, from = 0): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage): boolean => m.type === type && pred(m as Extract<ServerMessage, { type: T }>);
    const have = this.received.slice(from).find(match);
    if (have) return Promise.resolve(have as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' message within ${timeoutMs} ms; got ${this.received.map((m) => m.type).join(',')}`)), timeoutMs);
      this.waiters.push({ pred: match, resolve: (m) => {
        clearTimeout(timer);
        resolve(m as Extract<ServerMessage, { type: T }>);
      } });
    });
  }

  /** Sends a frame and waits for the reply about `id` (or the next error/pong). */
  async request<T extends ServerMessage['type']>(msg: unknown, type: T, id?: string): Promise<Extract<ServerMessage, { type: T }> | Extract<ServerMessage, { type: 'error' }>> {
    const from = this.received.length;
    this.send(msg);
    return Promise.race([
      this.next(type, (m) => id === undefined || (m as { id?: string }).id === id, 15_000, from),
      this.next('error', (m) => id === undefined || m.id === id, 15_000, from),
    ]);
  }
}

/**
 * `bridge/main.ts` as a real subprocess (optionally behind a command prefix such as setpriv):
 * resolves with the child and the port it logged in its `bridge listening` line.
 */
export async function spawnBridgeProcess(
  t: { teardown(fn: () => unknown): void },
  opts: { prefix?: string[]; env?: NodeJS.ProcessEnv; cwd?: string; args?: string[] } = {},
): Promise<{ child: ChildProcess; port: number; logs: string[] }> {
  const main = join(import.meta.dirname, '..', '..', 'bridge', 'main.ts');
  // --no-auth unless the test is about the token (it passes one, or a token file).
  const args = opts.args ?? [];
  const authGiven = args.some((a) => /^--(token|token-file|no-auth)\b/.test(a)) || Object.keys(opts.env ?? {}).some((k) => /^MSTAT_(TOKEN|TOKEN_FILE|NO_AUTH)$/.test(k));
  const argv = [...(opts.prefix ?? []), process.execPath, '--import', 'tsx', main, '--listen', '127.0.0.1:0', '--log-level', 'info', ...(authGiven ? [] : ['--no-auth']), ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const logs: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not listen within 20 s; stderr: ${err.slice(-2000)}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      logs.push(l);
      const m = /"msg":"bridge listening"/.test(l) ? /"port":(\d+)/.exec(l) : null;
      if (!m) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    });
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`bridge exited (${c}); stderr: ${err.slice(-2000)}`)));
  });
  return { child, port, logs };
}

/** The bridge's /healthz answer. */
export async function healthz(port: number): Promise<{ ok: boolean; targets: number; subscribers: number; connections: number }> {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  return (await r.json()) as { ok: boolean; targets: number; subscribers: number; connections: number };
}

/** Resident set size of a process, in KiB (0 when gone). */
export function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every process below `root` (children, grandchildren, …) with its command name. */
export function descendants(root: number): Array<{ pid: number; comm: string }> {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (!m) continue;
      parent.set(Number(d), Number(m[2]));
      comm.set(Number(d), m[1]!);
    } catch {
      /* raced with exit */
    }
  }
  const out: Array<{ pid: number; comm: string }> = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid), depth = 0; p !== undefined && p > 1 && depth < 32; p = parent.get(p), depth++) {
      if (p === root) {
        out.push({ pid, comm: comm.get(pid)! });
        break;
      }
    }
  }
  return out;
}
