// The one driver of memhog (test/targets/memhog) for tests, benches and recording scripts: start
// it with -control, send line commands on stdin, wait for its JSON events on stdout, keep its
// heartbeats, stop it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FixtureBuild } from './fixtures.ts';
import { parseRelayLine, stampRelayArgv } from './stamp-relay.ts';
import { now, sleep } from './time.ts';

/** Ticks of main.counter (1 ms ticker) that prove a target runs; see GoTarget.progress. */
export const RUNNING_MIN_TICKS = 10;

export interface TargetEvent {
  event: string;
  /**
   * The stdout line the event was parsed from, verbatim (for byte-exact comparisons and
   * uint64 values beyond 2^53). Non-enumerable: not seen by deep equality or JSON.stringify.
   */
  readonly rawLine?: string;
  [k: string]: unknown;
}

export interface Heartbeat {
  /** arrival, ns on CLOCK_MONOTONIC (as `now()`; the relay's stamp with `stampedLines`) */
  at: number;
  /** main.counter, its 1 ms progress ticker */
  counter: number;
  /** its workers' allocations so far */
  allocs: number;
}

export interface GoTargetOptions {
  cwd?: string;
  /** run as that user (setpriv execs the program, so `pid` is the program's; needs root) */
  asUser?: { uid: number; gid: number };
  /** a command that runs the program (then `pid` is that command's) */
  prefix?: string[];
  /** in a process group of its own, so a terminal's Ctrl-C reaches only us, and we stop it */
  detached?: boolean;
  /** each stdout line stamped on arrival by a relay process (scripts/kit/stamp-relay.ts); `pid` stays the program's */
  stampedLines?: boolean;
}

/** A running memhog with -control: line commands on stdin, JSON events on stdout. */
export class GoTarget {
  private pidOf: number;
  /** The target's `ready` event (pid, goVersion, counterAddr). */
  ready!: TargetEvent;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiters: Array<{ pred: (e: TargetEvent) => boolean; resolve: (e: TargetEvent) => void }> = [];
  lastHeartbeat: { counter: number; at: number } | undefined;
  /** Every heartbeat so far, in order. */
  readonly heartbeats: Heartbeat[] = [];
  /** What the target wrote on stderr (the last 64 KiB): a panic's or SIGQUIT's goroutine dump. */
  stderrText = '';
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `args` come after `-control -deadline 120s` (a later `-deadline` wins). */
  static async start(build: FixtureBuild, args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: GoTargetOptions = {}): Promise<GoTarget> {
    let argv = [build.path, '-control', '-deadline', '120s', ...args];
    const u = opts.asUser;
    if (u) argv.unshift('setpriv', '--reuid', String(u.uid), '--regid', String(u.gid), '--clear-groups', '--inh-caps=-all');
    if (opts.prefix) argv.unshift(...opts.prefix);
    if (opts.stampedLines) argv = stampRelayArgv(argv);
    const proc = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd: opts.cwd,
      detached: opts.detached === true,
    });
    const t = new GoTarget(proc, opts.stampedLines === true);
    return t.waitReady();
  }

  private readyPromise: Promise<TargetEvent>;

  private constructor(proc: ChildProcessWithoutNullStreams, stamped: boolean) {
    this.proc = proc;
    this.pidOf = proc.pid!;
    this.exit = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    proc.stdin.on('error', () => undefined); // a command to a target that is gone times out instead
    proc.stderr.on('data', (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-65536);
      // A goroutine dump is expected where a test asks for one; show the first lines only.
      process.stderr.write(`[target ${this.pid}] ${d.toString().split('\n').slice(0, 8).join('\n')}\n`);
    });
    const rl = createInterface({ input: proc.stdout });
    rl.on('line', (line) => {
      if (!stamped) return this.onLine(line, now());
      const r = parseRelayLine(line);
      if (r.kind === 'pid') this.pidOf = r.pid;
      else if (r.kind === 'line') this.onLine(r.text, r.at);
    });
    this.readyPromise = this.next((e) => e.event === 'ready', 15_000);
  }

  /** The program's pid (behind a relay: the program's, not the relay's). */
  get pid(): number {
    return this.pidOf;
  }

  private async waitReady(): Promise<GoTarget> {
    this.ready = await this.readyPromise;
    return this;
  }

  private onLine(line: string, at: number): void {
    let e: TargetEvent;
    try {
      e = JSON.parse(line) as TargetEvent;
    } catch {
      return;
    }
    if (typeof e !== 'object' || e === null) return;
    Object.defineProperty(e, 'rawLine', { value: line, enumerable: false });
    if (e.event === 'heartbeat') {
      this.lastHeartbeat = { counter: Number(e.counter), at: Date.now() };
      this.heartbeats.push({ at, counter: Number(e.counter), allocs: Number(e.allocs) });
    }
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

  /** Resolves once a heartbeat that arrived after `t` (ns, as `Heartbeat.at`) is in. */
  async heartbeatAfter(t: number, timeoutMs = 15_000): Promise<void> {
    const arrivedAfter = (): boolean => (this.heartbeats.at(-1)?.at ?? -Infinity) > t;
    if (arrivedAfter()) return;
    await this.next((e) => e.event === 'heartbeat' && arrivedAfter(), timeoutMs);
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
      const signal = (pid: number, sig: NodeJS.Signals): void => {
        try {
          process.kill(pid, sig);
        } catch {
          /* gone */
        }
      };
      signal(this.pid, 'SIGCONT');
      if (this.pid !== this.proc.pid) signal(this.pid, 'SIGKILL'); // the program behind a relay
      this.proc.kill('SIGKILL');
    }, 3000);
    await this.exit;
    clearTimeout(timer);
  }
}
