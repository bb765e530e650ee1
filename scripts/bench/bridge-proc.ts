// One mstat-bridge as a subprocess of a given checkout (this one or a baseline worktree), for
// the benches that load it, kill it or watch it for a long time. Benchmarks only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { descendants } from '../kit/process-tree.ts';
import { sleep } from '../kit/time.ts';

export interface BridgeProcOptions {
  /** every line the bridge writes (both streams) is appended here */
  logPath?: string;
  logLevel?: string;
  args?: string[];
  /** sees every line the bridge writes, as it comes */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Healthz {
  targets: number;
  subscribers: number;
  connections: number;
}

export class BridgeProc {
  readonly pid: number;
  port = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private readonly logFile: WriteStream | undefined;

  private constructor(root: string, cacheDir: string, private readonly opts: BridgeProcOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env, MSTAT_CACHE_DIR: cacheDir };
    for (const k of ['MSTAT_TOKEN', 'MSTAT_LISTEN', 'MSTAT_ALLOW_PIDS', 'MSTAT_SCRAPE_ATTACH', 'MSTAT_LOG_LEVEL']) delete env[k];
    // --no-auth: a bench is about cost, and its clients run as the bridge's user anyway.
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'bridge', 'main.ts'), '--listen', '127.0.0.1:0', '--log-level', opts.logLevel ?? 'info', '--no-auth', ...(opts.args ?? [])], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // a terminal Ctrl-C reaches only the bench, which stops the bridge itself
    });
    this.pid = this.proc.pid!;
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    this.logFile = opts.logPath ? createWriteStream(opts.logPath, { flags: 'a' }) : undefined;
    createInterface({ input: this.proc.stderr! }).on('line', (l) => this.line(l, 'stderr'));
  }

  private line(l: string, stream: 'stdout' | 'stderr'): void {
    this.logFile?.write(l + '\n');
    this.opts.onLine?.(l, stream);
  }

  /** Starts `root`'s bridge on a free loopback port (no auth: the bench's clients are ours). */
  static async start(root: string, cacheDir: string, opts: BridgeProcOptions = {}): Promise<BridgeProc> {
    const b = new BridgeProc(root, cacheDir, opts);
    b.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bridge did not listen within 30 s')), 30_000);
      createInterface({ input: b.proc.stdout! }).on('line', (l) => {
        b.line(l, 'stdout');
        const m = /"msg":"bridge listening"/.test(l) ? /"port":(\d+)/.exec(l) : null;
        if (!m) return;
        clearTimeout(timer);
        resolve(Number(m[1]));
      });
      void b.exited.then((x) => reject(new Error(`bridge exited before listening (${x.code ?? x.signal})`)));
    });
    return b;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The bridge's /healthz answer, or undefined when it does not give one within 5 s. */
  healthz(): Promise<Healthz | undefined> {
    return new Promise((resolve) => {
      const req = httpGet({ host: '127.0.0.1', port: this.port, path: '/healthz', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Healthz);
          } catch {
            resolve(undefined);
          }
        });
      });
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
    });
  }

  /** The gdb processes under the bridge now (below their supervisor shells). */
  gdbPids(): number[] {
    return descendants(this.pid).filter((d) => d.comm === 'gdb').map((d) => d.pid);
  }

  /** Every process under the bridge now (supervisor shells and gdbs). */
  descendantPids(): number[] {
    return descendants(this.pid).map((d) => d.pid);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.proc.kill(signal);
  }

  /** SIGTERM (the bridge detaches every target), SIGKILL after 10 s (`killed`). */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }> {
    const t0 = Date.now();
    let killed = false;
    if (this.alive) {
      this.proc.kill('SIGTERM');
      if (!(await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]))) {
        killed = true;
        this.proc.kill('SIGKILL');
      }
    }
    const x = await this.exited;
    this.logFile?.end();
    return { ...x, ms: Date.now() - t0, killed };
  }
}
