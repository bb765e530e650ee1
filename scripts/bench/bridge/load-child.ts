// bench-bridge's side of its load worker (load-worker.ts, forked by path): start it with a
// subscription plan, mark the measured window, ask for the report, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../baseline.ts';
import { note } from '../report.ts';
import { sleep } from '../../kit/time.ts';
import type { FromLoad, LoadReady, LoadReport, LoadStart, ToLoad } from './load-protocol.ts';

export class LoadChild {
  /** Every worker not stopped yet (the bench kills them on its way out). */
  static readonly running = new Set<LoadChild>();
  private readonly proc: ChildProcess;
  private readonly waiters: Array<{ type: FromLoad['type']; done: (m: FromLoad) => void }> = [];
  readonly exited: Promise<void>;
  ready: LoadReady | undefined;

  private constructor() {
    this.proc = fork(join(import.meta.dirname, 'load-worker.ts'), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
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
    LoadChild.running.add(c);
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
    LoadChild.running.delete(this);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
