// Benchmark (not a test, no assertions): what one sample costs as GOMAXPROCS and the heap
// grow, for this checkout and for a baseline revision (main before the read planner), in the
// same run against the same target processes.
//
//   npx tsx scripts/bench-scale.ts [--baseline REV] [--window MS] [--procs 2,8,32,128] [--heaps 64,1024]
//
// The target is scripts/bench/scale (built here with the Go in PATH): a live heap of small
// objects built on every P, 1,000 parked goroutines with grown stacks, one goroutine
// allocating. Each (checkout, mode) runs in its own process (scripts/bench/scale-worker.ts)
// that samples every 10 ms for the window, as one bridge subscriber at a 10 ms interval would.
//
// Columns: MI commands and bytes per sample; read = the sample's wall time; pause = the time
// the target was stopped (consistent mode; measured by the reader between stop and resume);
// samples/s reached at the 10 ms interval; CPU% of the reading Node process and of its gdb.
// Each cell is "this checkout ← baseline (ratio)".
//
// Safety: only the scale processes started here are read; every reader detaches on close and
// every target is checked for a left-over stop and killed at the end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { baselineCheckout, ROOT } from './bench/baseline.ts';
import { bytes, median, note, p95, print, ratio, table } from './bench/report.ts';

const USAGE = 'usage: npx tsx scripts/bench-scale.ts [--baseline REV] [--window MS] [--procs 2,8,32,128] [--heaps 64,1024]';
const opts = benchArgs(USAGE, {
    baseline: { type: 'string', default: '49e6740' },
    window: { type: 'string', default: '5000' },
    procs: { type: 'string', default: '2,8,32,128' },
    heaps: { type: 'string', default: '64,1024' },
    help: { type: 'boolean', short: 'h' },
});
const list = (s: string, what: string): number[] => {
  const xs = s.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) {
    usageError(USAGE, `--${what} takes positive integers separated by commas`);
  }
  return xs;
};
const PROCS = list(opts.procs!, 'procs');
const HEAPS = list(opts.heaps!, 'heaps');
const WINDOW = list(opts.window!, 'window')[0]!;
const MODES = ['live', 'consistent'] as const;

const scratch = mkdtempSync(join(tmpdir(), 'mstat-scale-'));
const scaleBin = join(scratch, 'scale');
const targets = new Set<ChildProcess>();
const cleanup = (): void => {
  for (const p of targets) {
    if (p.pid !== undefined) resumeIfStopped(p.pid);
    p.kill('SIGKILL');
  }
  rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

async function startScale(procs: number, heapMiB: number): Promise<ChildProcess> {
  const p = spawn(scaleBin, ['-procs', String(procs), '-heap', String(heapMiB), '-goroutines', '1000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  targets.add(p);
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: p.stdout! });
    rl.once('line', () => resolve());
    p.once('exit', (code) => reject(new Error(`scale exited (${code}) before it was ready`)));
  });
  return p;
}

interface Result {
  rows: Array<{ reads: number; bytes: number; readMs: number; pauseMs: number; torn: number }>;
  errors: string[];
  wallMs: number;
  nodeCpuPct: number;
  gdbCpuPct: number;
}

function runWorker(root: string, pid: number, mode: string): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench', 'scale-worker.ts'), root, String(pid), mode, '10', String(WINDOW)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: WINDOW + 120_000,
  });
  resumeIfStopped(pid);
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

note(`building the scale target (${execFileSync('go', ['version'], { encoding: 'utf8' }).trim()})`);
execFileSync('go', ['build', '-o', scaleBin, '.'], { cwd: join(ROOT, 'scripts', 'bench', 'scale'), stdio: 'inherit' });
note(`baseline checkout of ${opts.baseline}`);
const baseRoot = baselineCheckout(opts.baseline!);

type Figures = { cmds: number; bytes: number; readP50: number; readP95: number; pauseP50: number; pauseP95: number; rate: number; nodeCpu: number; gdbCpu: number; torn: number; errors: number };
const figures = (r: Result): Figures => ({
  cmds: median(r.rows.map((x) => x.reads)),
  bytes: median(r.rows.map((x) => x.bytes)),
  readP50: median(r.rows.map((x) => x.readMs)),
  readP95: p95(r.rows.map((x) => x.readMs)),
  pauseP50: median(r.rows.map((x) => x.pauseMs)),
  pauseP95: p95(r.rows.map((x) => x.pauseMs)),
  rate: (r.rows.length / r.wallMs) * 1000,
  nodeCpu: r.nodeCpuPct,
  gdbCpu: r.gdbCpuPct,
  torn: r.rows.reduce((s, x) => s + x.torn, 0) / Math.max(1, r.rows.length),
  errors: r.errors.length,
});

const rows: string[][] = [];
const HEAD = ['GOMAXPROCS', 'heap', 'mode', 'MI commands / sample', 'bytes / sample', 'read p50 ms', 'read p95 ms', 'pause p50 ms', 'pause p95 ms', 'samples/s at 10 ms', 'reader CPU %', 'gdb CPU %', 'torn after retries', 'failed samples'];
print(`# Sample cost by GOMAXPROCS and heap: this checkout ← baseline ${opts.baseline} (ratio), same run, same targets`);
print();
print(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); one reader sampling every 10 ms for ${WINDOW} ms per cell after 5 warm-up samples; target: scripts/bench/scale with 1,000 parked goroutines and one allocating goroutine.`);
print();
// Rows are printed as they are measured (a long run is readable before it ends).
print(table(HEAD, []));
const f1 = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const cell = (ours: number, base: number, fmt: (x: number) => string = f1): string => `${fmt(ours)} ← ${fmt(base)} (${ratio(ours, base)})`;
for (const heap of HEAPS) {
  for (const procs of PROCS) {
    note(`GOMAXPROCS ${procs}, heap ${heap} MiB: starting the target`);
    const target = await startScale(procs, heap);
    for (const mode of MODES) {
      // Alternate which checkout goes first, so neither always reads a fresher target.
      const order = rows.length % 2 === 0 ? (['ours', 'base'] as const) : (['base', 'ours'] as const);
      const got: Partial<Record<'ours' | 'base', Figures>> = {};
      for (const who of order) {
        note(`  ${mode}, ${who === 'ours' ? 'this checkout' : `baseline ${opts.baseline}`}`);
        got[who] = figures(runWorker(who === 'ours' ? ROOT : baseRoot, target.pid!, mode));
      }
      const o = got.ours!;
      const b = got.base!;
      rows.push([
        String(procs), `${heap} MiB`, mode,
        cell(o.cmds, b.cmds, (x) => x.toFixed(0)),
        cell(o.bytes, b.bytes, bytes),
        cell(o.readP50, b.readP50), cell(o.readP95, b.readP95),
        mode === 'consistent' ? cell(o.pauseP50, b.pauseP50) : '–',
        mode === 'consistent' ? cell(o.pauseP95, b.pauseP95) : '–',
        cell(o.rate, b.rate),
        cell(o.nodeCpu, b.nodeCpu), cell(o.gdbCpu, b.gdbCpu),
        `${(o.torn * 100).toFixed(0)}% ← ${(b.torn * 100).toFixed(0)}%`,
        `${o.errors} ← ${b.errors}`,
      ]);
      print(`| ${rows[rows.length - 1]!.join(' | ')} |`);
    }
    targets.delete(target);
    resumeIfStopped(target.pid!);
    target.kill('SIGKILL');
  }
}
