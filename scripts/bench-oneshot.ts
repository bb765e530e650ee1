// Benchmark (not a test, no assertions): one `mstat --pid P` reading against the classic
// `gdb -batch -p P -ex 'print runtime.memstats'`, and against mstat at a baseline revision
// (main before the build step and the warm path), interleaved on the same targets in the same
// run: a small fixture (memhog, go1.26) and a large service-like program of our own
// (scripts/bench/bigprog: HTTP/TLS, SQL, gRPC, the Prometheus client and more, ≥ 30 MB with
// uncompressed DWARF). Cold = an empty layout cache for every run; warm = a cache filled once.
// Also `mstat --help`. Wall time and peak RSS (GNU time's %M: the largest of the process and
// what it waited for, so gdb counts too) per run; medians, and ratios.
//
//   npx tsx scripts/bench-oneshot.ts [--reps N] [--baseline REV]
//
// Safety: only processes started here are read; the classic gdb is a plain all-stop batch
// attach (it stops the target while it runs, which is what it costs); after each classic run
// a target left stopped untraced gets SIGCONT; targets are killed on exit.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { resumeIfStopped } from '../bridge/access/watchdog.ts';
import { fixture } from './kit/fixtures.ts';
import { baselineCheckout, ROOT } from './bench/baseline.ts';
import { bytes, median, ms, note, print, ratio, table } from './bench/report.ts';
import { now } from './kit/time.ts';

const USAGE = 'usage: npx tsx scripts/bench-oneshot.ts [--reps N] [--baseline REV]';
let opts: { reps: string; baseline: string };
try {
  opts = parseArgs({ options: { reps: { type: 'string', default: '7' }, baseline: { type: 'string', default: '03d334b' } }, strict: true }).values as typeof opts;
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const REPS = Number(opts.reps);
if (!Number.isInteger(REPS) || REPS < 1) {
  process.stderr.write(`--reps must be a positive integer\n${USAGE}\n`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'mstat-bench-oneshot-'));
const targets: ChildProcess[] = [];
function cleanup(): void {
  for (const c of targets) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(130));

// ------------------------------------------------------------------ programs

function buildBigprog(): string {
  const out = join(work, 'bigprog');
  note('building scripts/bench/bigprog (uncompressed DWARF)');
  execFileSync('go', ['build', '-ldflags=-compressdwarf=false', '-o', out, '.'], { cwd: join(ROOT, 'scripts', 'bench', 'bigprog'), env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

async function startTarget(path: string, args: string[]): Promise<number> {
  const c = spawn(path, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  targets.push(c);
  const rl = createInterface({ input: c.stdout! });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path}: no ready line`)), 30_000);
    rl.on('line', (l) => {
      if (!l.includes('"ready"')) return;
      clearTimeout(timer);
      resolve(c.pid!);
    });
  });
}

// ------------------------------------------------------------------ runs

interface Run {
  wallNs: number;
  rssKb: number;
  ok: boolean;
  detail: string;
}

/** One run under GNU time: wall clock from here, peak RSS from time's %M. */
function timed(argv: string[], env: NodeJS.ProcessEnv, check: (stdout: string) => boolean): Run {
  const t0 = now();
  const r = spawnSync('/usr/bin/time', ['-f', 'mstat-bench-rss %M', ...argv], { env: { ...process.env, NODE_OPTIONS: '', ...env }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  const wallNs = now() - t0;
  const rss = /mstat-bench-rss (\d+)/.exec(r.stderr ?? '');
  const ok = r.status === 0 && check(r.stdout ?? '');
  return { wallNs, rssKb: rss ? Number(rss[1]) : NaN, ok, detail: ok ? '' : `${argv.join(' ')}: status ${r.status}: ${(r.stderr ?? '').slice(-300)}` };
}

const classic = (pid: number): Run => {
  // Quoted: the stop frame is usually in assembly (language c), where `runtime.memstats` does not parse.
  const r = timed(['gdb', '-nx', '-batch', '-p', String(pid), '-ex', "print 'runtime.memstats'"], {}, (out) => /\$1 = \{/.test(out));
  resumeIfStopped(pid);
  return r;
};

const mstatNow = (pid: number, cache: string): Run => timed([process.execPath, join(ROOT, 'scripts', 'bin', 'mstat.js'), '--pid', String(pid)], { MSTAT_CACHE_DIR: cache }, (out) => out.startsWith('{"Alloc":'));
const mstatBase = (dir: string) => (pid: number, cache: string): Run => timed([process.execPath, join(dir, 'scripts', 'bin', 'mstat.js'), '--pid', String(pid)], { MSTAT_CACHE_DIR: cache }, (out) => out.startsWith('{"Alloc":'));

// ------------------------------------------------------------------ main

if (!existsSync(join(ROOT, 'dist', 'bin', 'mstat.js'))) {
  note('building this checkout (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
note(`baseline checkout of ${opts.baseline}`);
const baseDir = baselineCheckout(opts.baseline);
const base = mstatBase(baseDir);

const small = fixture({ toolchain: '1.26' });
const bigPath = buildBigprog();
const programs = [
  { name: `memhog ${small.goVersion} (${bytes(statSync(small.path).size)})`, pid: await startTarget(small.path, ['-heartbeat', '0', '-deadline', '30m']) },
  { name: `bigprog (${bytes(statSync(bigPath).size)})`, pid: await startTarget(bigPath, ['-deadline', '30m']) },
];

type Col = 'classic' | 'baseCold' | 'baseWarm' | 'nowCold' | 'nowWarm';
const rows: string[][] = [];
const failures: string[] = [];
for (const p of programs) {
  const warmNow = mkdtempSync(join(work, 'warm-now-'));
  const warmBase = mkdtempSync(join(work, 'warm-base-'));
  // Fill the warm caches once.
  mstatNow(p.pid, warmNow);
  base(p.pid, warmBase);
  const runs: Record<Col, Run[]> = { classic: [], baseCold: [], baseWarm: [], nowCold: [], nowWarm: [] };
  for (let i = 0; i < REPS; i++) {
    note(`${p.name}: round ${i + 1}/${REPS}`);
    // Interleaved, the order rotating each round, so drift in the machine hits every column.
    const order: Array<[Col, () => Run]> = [
      ['classic', () => classic(p.pid)],
      ['baseCold', () => base(p.pid, mkdtempSync(join(work, 'cold-')))],
      ['baseWarm', () => base(p.pid, warmBase)],
      ['nowCold', () => mstatNow(p.pid, mkdtempSync(join(work, 'cold-')))],
      ['nowWarm', () => mstatNow(p.pid, warmNow)],
    ];
    for (let k = 0; k < order.length; k++) {
      const [col, fn] = order[(k + i) % order.length]!;
      const r = fn();
      runs[col].push(r);
      if (!r.ok) failures.push(r.detail);
    }
  }
  const med = (c: Col): number => median(runs[c].filter((r) => r.ok).map((r) => r.wallNs));
  const rss = (c: Col): number => median(runs[c].filter((r) => r.ok).map((r) => r.rssKb * 1024));
  for (const [label, b, n] of [['cold', 'baseCold', 'nowCold'], ['warm', 'baseWarm', 'nowWarm']] as const) {
    rows.push([`${p.name}, ${label} cache`, ms(med('classic')), ms(med(b)), ms(med(n)), ratio(med(n), med('classic')), ratio(med(n), med(b)), `${bytes(rss(n))} ← ${bytes(rss(b))} (classic ${bytes(rss('classic'))})`]);
  }
}

// --help
const helpNow: number[] = [];
const helpBase: number[] = [];
for (let i = 0; i < REPS; i++) {
  helpNow.push(timed([process.execPath, join(ROOT, 'scripts', 'bin', 'mstat.js'), '--help'], {}, (o) => o.startsWith('usage:')).wallNs);
  helpBase.push(timed([process.execPath, join(baseDir, 'scripts', 'bin', 'mstat.js'), '--help'], {}, (o) => o.startsWith('usage:')).wallNs);
}
rows.push(['`mstat --help`', '–', ms(median(helpBase)), ms(median(helpNow)), '–', ratio(median(helpNow), median(helpBase)), '–']);

print(`# One-shot reading: mstat (this checkout) against the classic gdb command and mstat at ${opts.baseline}, same run`);
print();
print(`${cpus().length} CPUs (${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}); ${REPS} interleaved runs per cell, medians; classic = \`gdb -nx -batch -p P -ex "print 'runtime.memstats'"\` (gdb ${execFileSync('gdb', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.replace(/^GNU gdb \S+ /, '')}); peak RSS from GNU time (%M).`);
print();
print(table(['target', 'classic gdb', `mstat ${opts.baseline}`, 'mstat now', 'now ÷ classic', `now ÷ ${opts.baseline}`, 'peak RSS now ← baseline'], rows));
if (failures.length > 0) {
  print();
  print(`Failed runs (${failures.length}, left out of the medians):`);
  for (const f of failures.slice(0, 10)) print(`- ${f.replace(/\n/g, ' ')}`);
}
process.exit(0); // the targets' pipes would keep the event loop alive; cleanup() runs on exit
