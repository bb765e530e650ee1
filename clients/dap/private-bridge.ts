// A bridge of our own, as a subprocess: when the attach configuration names no bridge. Run
// through its command line (not imported) so clients/ never depends on bridge/ code. Loopback,
// a random token, only the one pid allowed; stopped with SIGTERM (it detaches first), and
// never outliving us: a parent-death signal, and a kill from our 'exit' handler.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** Built (dist/clients/dap/*.js): the built bridge beside it; from the sources: through tsx. */
const BUILT = import.meta.filename.endsWith('.js');
const BRIDGE_MAIN = join(REPO_ROOT, 'bridge', BUILT ? 'main.js' : 'main.ts');
const SETPRIV = '/usr/bin/setpriv';

export interface PrivateBridgeOptions {
  pid: number;
  /** bridge log lines (its stdout, pino JSON) and stderr, line by line; stdout is the DAP wire, so never there */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
}

export class PrivateBridge {
  private readonly killOnExit = (): void => void this.child.kill('SIGTERM');
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly token: string,
  ) {
    this.exited = new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => r({ code, signal }));
    });
    void this.exited.then(() => process.removeListener('exit', this.killOnExit));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Starts `node [--import tsx] bridge/main.{ts,js} --listen 127.0.0.1:0 --token …` and waits for its port. */
  static async start(opts: PrivateBridgeOptions): Promise<PrivateBridge> {
    // Hex, and `--flag=value`: a value starting with '-' would otherwise be taken for a flag.
    const token = randomBytes(24).toString('hex');
    const node = [process.execPath, ...(BUILT ? [] : ['--import', 'tsx']), BRIDGE_MAIN, '--listen=127.0.0.1:0', `--token=${token}`, `--allow-pids=${opts.pid}`, '--log-level=info'];
    const argv = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...node] : node;
    // cwd: `--import tsx` resolves from there. Our NODE_OPTIONS (a test runner's hooks) is not its business.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = opts.onLog ?? ((): void => undefined);
    let stderrTail = '';
    // Both pipes are drained for the bridge's whole life: a full pipe would block its logger.
    createInterface({ input: child.stderr! }).on('line', (l) => {
      stderrTail = (stderrTail + l + '\n').slice(-2000);
      log(l);
    });
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`the private bridge did not start: ${why}${stderrTail ? `; its stderr: ${stderrTail.trim()}` : ''}`));
      };
      const timer = setTimeout(() => fail(`no 'bridge listening' line within ${opts.startTimeoutMs ?? 30_000} ms`), opts.startTimeoutMs ?? 30_000);
      lines.on('line', (l) => {
        log(l);
        const m = /"msg":"bridge listening"/.test(l) ? /"port":(\d+)/.exec(l) : null;
        if (!m || settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      });
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code, signal) => fail(`it exited (${signal ?? code})`));
    });
    const b = new PrivateBridge(child, `ws://127.0.0.1:${port}`, token);
    process.once('exit', b.killOnExit);
    return b;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (the bridge detaches every target, then exits); SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
