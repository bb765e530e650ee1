// test/instrumented: a Go program exporting its own metrics with client_golang's default
// registry. Built by scripts/build-fixtures.sh into test/targets/.build/instrumented.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD_DIR } from '../../scripts/kit/fixtures.ts';

export const INSTRUMENTED_PATH = join(BUILD_DIR, 'instrumented');

export class InstrumentedProgram {
  private constructor(
    private readonly proc: ChildProcessByStdio<Writable, Readable, null>,
    readonly pid: number,
    /** host:port of its /metrics */
    readonly addr: string,
  ) {}

  static async start(env: NodeJS.ProcessEnv = {}): Promise<InstrumentedProgram> {
    if (!existsSync(INSTRUMENTED_PATH)) throw new Error(`${INSTRUMENTED_PATH} missing: run scripts/build-fixtures.sh (npm test does)`);
    const proc = spawn(INSTRUMENTED_PATH, ['-listen', '127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    const ready = await new Promise<{ pid: number; addr: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('instrumented: no ready line within 15 s')), 15_000);
      createInterface({ input: proc.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { pid: number; addr: string });
      });
      proc.once('exit', (code) => reject(new Error(`instrumented exited (${code}) before it was ready`)));
    });
    return new InstrumentedProgram(proc, ready.pid, ready.addr);
  }

  /** Its own /metrics text. */
  async scrape(): Promise<string> {
    const r = await fetch(`http://${this.addr}/metrics`, { headers: { Accept: 'text/plain' } });
    if (!r.ok) throw new Error(`instrumented /metrics: HTTP ${r.status}`);
    return r.text();
  }

  /** Ends it (stdin EOF) and waits for its exit. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end();
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }
}
