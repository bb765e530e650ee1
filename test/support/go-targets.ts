// The Go test programs built by scripts/build-fixtures.sh, and a handle to run one.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { sleep } from './proc.ts';

export interface FixtureBuild {
  program: string;
  toolchain: string;
  goVersion: string;
  /**
   * cgo/pie/nodwarf/stripped: Go 1.26 builds. large: newest toolchain, memhog -tags large (far
   * more code linked in, same behaviour) for size comparisons; test matrices that select
   * variants by name leave it out.
   */
  variant: 'default' | 'cgo' | 'pie' | 'nodwarf' | 'stripped' | 'large';
  path: string;
}

/** Ticks of main.counter (1 ms ticker) that prove a target runs; see GoTarget.progress. */
export const RUNNING_MIN_TICKS = 10;

export const BUILD_DIR = join(import.meta.dirname, '..', 'targets', '.build');

/** All builds; a missing manifest is an error (the test command builds it first). */
export function fixtures(): FixtureBuild[] {
  const manifest = join(BUILD_DIR, 'manifest.json');
  if (!existsSync(manifest)) throw new Error(`${manifest} missing: run scripts/build-fixtures.sh (npm test does)`);
  return JSON.parse(readFileSync(manifest, 'utf8')) as FixtureBuild[];
}

export function fixture(q: { program?: string; toolchain?: string; variant?: FixtureBuild['variant'] } = {}): FixtureBuild {
  const all = fixtures().filter(
    (f) => f.program === (q.program ?? 'memhog') && f.variant === (q.variant ?? 'default') && (q.toolchain === undefined || f.toolchain === q.toolchain),
  );
  // Default: the newest toolchain's build.
  all.sort((a, b) => cmpVersion(b.toolchain, a.toolchain));
  const f = all[0];
  if (!f) throw new Error(`no fixture build for ${JSON.stringify(q)}`);
  return f;
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface TargetEvent {
  event: string;
  /**
   * The stdout line the event was parsed from, verbatim (for byte-exact comparisons and
   * uint64 values beyond 2^53). Non-enumerable: not seen by deep equality or JSON.stringify.
   */
  readonly rawLine?: string;
  [k: string]: unknown;
}

/** A running memhog with -control: line commands on stdin, JSON events on stdout. */
export class GoTarget {
  readonly pid: number;
  /** The target's `ready` event (pid, goVersion, counterAddr). */
  ready!: TargetEvent;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiters: Array<{ pred: (e: TargetEvent) => boolean; resolve: (e: TargetEvent) => void }> = [];
  lastHeartbeat: { counter: number; at: number } | undefined;
  /** What the target wrote on stderr (the last 64 KiB): a panic's or SIGQUIT's goroutine dump. */
  stderrText = '';
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `opts.asUser`: run as that user (setpriv execs the program, so `pid` is the program's; needs
   * root). `opts.prefix`: a command that runs the program (then `pid` is that command's).
   */
  static async start(build: FixtureBuild, args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: { cwd?: string; asUser?: { uid: number; gid: number }; prefix?: string[] } = {}): Promise<GoTarget> {
    const argv = [build.path, '-control', '-deadline', '120s', ...args];
    const u = opts.asUser;
    if (u) argv.unshift('setpriv', '--reuid', String(u.uid), '--regid', String(u.gid), '--clear-groups', '--inh-caps=-all');
    if (opts.prefix) argv.unshift(...opts.prefix);
    const proc = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd: opts.cwd,
    });
    const t = new GoTarget(proc);
    return t.waitReady();
  }

  private readyPromise: Promise<TargetEvent>;

  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.proc = proc;
    this.pid = proc.pid!;
    this.exit = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    proc.stderr.on('data', (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-65536);
      // A goroutine dump is expected where a test asks for one; show the first lines only.
      process.stderr.write(`[target ${this.pid}] ${d.toString().split('\n').slice(0, 8).join('\n')}\n`);
    });
    const rl = createInterface({ input: proc.stdout });
    rl.on('line', (line) => this.onLine(line));
    this.readyPromise = this.next((e) => e.event === 'ready', 15_000);
  }

  private async waitReady(): Promise<GoTarget> {
    this.ready = await this.readyPromise;
    return this;
  }

  private onLine(line: string): void {
    let e: TargetEvent;
    try {
      e = JSON.parse(line) as TargetEvent;
    } catch {
      return;
    }
    if (typeof e !== 'object' || e === null) return;
    Object.defineProperty(e, 'rawLine', { value: line, enumerable: false });
    if (e.event === 'heartbeat') this.lastHeartbeat = { counter: Number(e.counter), at: Date.now() };
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      if (w.pred(e)) {
        this.waiters.splice(i, 1);
        w.resolve(e);
        return;
      }
    }
  }

  /** The next event matching `pred`. */
  next(pred: (e: TargetEvent) => boolean, timeoutMs = 10_000): Promise<TargetEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`target ${this.pid}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (e: TargetEvent): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Sends a control command and waits for its reply event. */
  async command(cmd: 'pause' | 'resume' | 'memstats' | 'memstats-p' | 'runtime' | 'gc' | 'pprof' | 'stacks' | 'burst' | 'gap' | 'freeos' | 'exit' | 'crash' | 'spawn' | 'exec', timeoutMs = 10_000): Promise<TargetEvent> {
    const expect = { pause: 'paused', resume: 'resumed', memstats: 'memstats', 'memstats-p': 'memstats', runtime: 'runtime', gc: 'gc', pprof: 'pprof', stacks: 'stacks', burst: 'burst', gap: 'gap', freeos: 'freeos', exit: 'exit', crash: 'crash', spawn: 'spawned', exec: 'exec' }[cmd];
    const p = this.next((e) => e.event === expect || e.event === 'error', timeoutMs);
    this.proc.stdin.write(cmd + '\n');
    return p;
  }

  /** runtime.GOMAXPROCS(n) in the target; resolves with its reply ("old->new"). */
  async setProcs(n: number, timeoutMs = 10_000): Promise<string> {
    const p = this.next((e) => e.event === 'procs' || e.event === 'error', timeoutMs);
    this.proc.stdin.write(`procs ${n}\n`);
    const e = await p;
    if (e.event === 'error') throw new Error(`procs ${n}: ${String(e.message)}`);
    return String(e.message);
  }

  /** Writes a command without waiting for a reply (`panic` has none). */
  send(cmd: string): void {
    this.proc.stdin.write(cmd + '\n');
  }

  /** Resolves with a heartbeat counter value seen after this call. */
  async nextHeartbeat(timeoutMs = 5000): Promise<number> {
    const e = await this.next((e) => e.event === 'heartbeat', timeoutMs);
    return Number(e.counter);
  }

  /**
   * Progress of main.counter (a 1 ms ticker) between two heartbeats at least `ms` apart.
   * A stopped target sends no heartbeat (nextHeartbeat rejects) and a stalled one moves
   * the counter by 0. A running one on an idle machine moves it ~1 per ms, on a loaded
   * 2-core CI machine far less (measured: ~23 per 50 ms beside 10 busy loops), so `running`
   * asks for RUNNING_MIN_TICKS, well below any load, well above a stall.
   */
  async progress(ms = 200): Promise<{ ticks: number; elapsedMs: number; running: boolean; text: string }> {
    const a = await this.nextHeartbeat();
    const t0 = performance.now();
    await sleep(ms);
    const b = await this.nextHeartbeat();
    const elapsedMs = performance.now() - t0;
    const ticks = b - a;
    return { ticks, elapsedMs, running: ticks >= RUNNING_MIN_TICKS, text: `+${ticks} ticks of main.counter over ${elapsedMs.toFixed(0)} ms` };
  }

  /** Ends the process: stdin EOF (it exits by itself), then SIGKILL as a last resort. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin.end();
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
      this.proc.kill('SIGKILL');
    }, 3000);
    await this.exit;
    clearTimeout(timer);
  }
}

/** Asserts that `target` makes progress over `ms` (see GoTarget.progress); the figures go in the message. */
export async function assertRunning(t: { ok(value: unknown, message: string): unknown }, target: GoTarget, what: string, ms = 200): Promise<void> {
  const p = await target.progress(ms);
  t.ok(p.running, `${what} (${p.text})`);
}

/**
 * Holds a shared lock on the fixture build dir for the rest of the test file, so a concurrent
 * build-fixtures.sh (it takes the lock exclusively and rewrites binaries) cannot swap files
 * mid-test. flock(1) locks our own open file description (fd 3) and exits; the lock lives
 * until we close the fd, so no helper process outlives the test.
 */
export function holdBuildDirShared(t: { before(fn: () => unknown): void; teardown(fn: () => unknown): void }): void {
  t.before(async () => {
    const fd = openSync(join(BUILD_DIR, '.lock'), 'a');
    t.teardown(() => closeSync(fd));
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn('flock', ['-s', '-w', '600', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
      p.once('error', reject);
      p.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`flock -s on ${BUILD_DIR}/.lock failed (${code})`);
  });
}
