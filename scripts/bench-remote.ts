// Benchmark (not a test, no assertions): what reading a target over ssh + gdbserver costs
// next to reading it locally, measured in the same run against the memhog fixture.
//
//   npx tsx scripts/bench-remote.ts [--samples N] [--reps R] [--no-netns]
//
// "Remote" is a private sshd started here (scripts/kit/sshd.ts): on loopback, and in its own
// network namespace (a veth pair: a different host address, as a real link would be, without
// its latency). The target is the same fixture process for every column, so the only
// difference is the path the reads take. Per-sample latency is the wall time of one
// TargetReader.sample(); time to first sample is open() + the first sample(), with a cold
// (empty) and a warm (already filled) layout cache, with a local copy of the executable and
// with the executable fetched over the link. Columns are measured interleaved (round-robin),
// so load from elsewhere on a shared machine hits them alike and the ratios stay meaningful.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TargetReader, type SampleMode } from '../bridge/go/target.ts';
import { LocalTarget } from '../bridge/access/local-target.ts';
import { createRootLogger } from '../bridge/log.ts';
import { RemoteAccess } from '../bridge/access/remote/remote-access.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixture } from './kit/fixtures.ts';
import { ALIAS, startSshd, type TestSshd } from './kit/sshd.ts';
import { benchArgs, usageError } from './bench/args.ts';
import { median, p95 } from './bench/report.ts';

const USAGE = `usage: npx tsx scripts/bench-remote.ts [--samples N] [--reps R] [--no-netns]

  --samples N   samples per latency series (default 200)
  --reps R      attaches per time-to-first-sample cell (default 5)
  --no-netns    only the loopback sshd (no network namespace)`;

const opts = benchArgs(USAGE, { samples: { type: 'string' }, reps: { type: 'string' }, 'no-netns': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } });
const positive = (s: string | undefined, d: number, name: string): number => {
  if (s === undefined) return d;
  if (!/^[1-9][0-9]*$/.test(s)) usageError(USAGE, `--${name} must be a positive integer`);
  return Number(s);
};
const N = positive(opts.samples, 200, 'samples');
const REPS = positive(opts.reps, 5, 'reps');

const log = createRootLogger({ level: 'warn', name: 'bench-remote', destination: 'stderr' });
const teardowns: Array<() => unknown> = [];
const scope = { teardown: (f: () => unknown) => teardowns.push(f) };
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const f of teardowns.reverse()) await Promise.resolve(f()).catch(() => undefined);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void cleanup().then(() => process.exit(130));
  });
}

function tmpCache(): string {
  const d = mkdtempSync(join(tmpdir(), 'mstat-bench-cache-'));
  teardowns.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ms = (ns: bigint | number): number => Number(ns) / 1e6;
const stats = (xs: number[]): { median: number; p95: number } => ({ median: median(xs), p95: p95(xs) });

interface Where {
  name: string;
  open(cacheDir: string, exe: 'local' | 'fetched'): Promise<TargetReader>;
}

/**
 * Per-sample wall time (and the consistent pause) for every reader, interleaved round-robin so
 * that load from elsewhere on the machine hits every column alike.
 */
async function latencies(readers: TargetReader[], mode: SampleMode): Promise<Array<{ wall: number[]; pause: number[] }>> {
  const out = readers.map(() => ({ wall: [] as number[], pause: [] as number[] }));
  for (const r of readers) for (let i = 0; i < 5; i++) await r.sample(mode); // warm up gdb and the connection
  for (let i = 0; i < N; i++) {
    for (const [k, r] of readers.entries()) {
      const t0 = process.hrtime.bigint();
      const s = await r.sample(mode);
      out[k]!.wall.push(ms(process.hrtime.bigint() - t0));
      out[k]!.pause.push(ms(s.meta.pauseNs));
    }
  }
  return out;
}

/** open() + the first sample, REPS times per column, interleaved; undefined where a column does not apply. */
async function firstSamples(wheres: Where[], exe: 'local' | 'fetched', cache: 'cold' | 'warm', warmDir: string): Promise<Array<number | undefined>> {
  const times = wheres.map(() => [] as number[]);
  for (let i = 0; i < REPS; i++) {
    for (const [k, w] of wheres.entries()) {
      if (w.name === 'local' && exe === 'fetched') continue;
      const dir = cache === 'cold' ? tmpCache() : warmDir;
      const t0 = process.hrtime.bigint();
      const r = await w.open(dir, exe);
      await r.sample('live');
      times[k]!.push(ms(process.hrtime.bigint() - t0));
      await r.close();
    }
  }
  return times.map((t) => (t.length === 0 ? undefined : stats(t).median));
}

async function main(): Promise<void> {
  // One fixture process per column (a process has one tracer), same build, same quiet state.
  const build = fixture();
  const startQuiet = async (): Promise<GoTarget> => {
    // The fixture exits by itself after its deadline; a full run takes longer than the default.
    const go = await GoTarget.start(build, ['-heartbeat', '0', '-deadline', '1800s']);
    teardowns.push(() => go.stop());
    await go.command('gc');
    await go.command('pause'); // a quiet target: reads see the same, untorn state
    await go.command('freeos');
    return go;
  };

  const hosts: Array<[string, TestSshd]> = [['tunnel, loopback sshd', await startSshd(scope)]];
  if (!opts['no-netns']) hosts.push(['tunnel, netns host', await startSshd(scope, { netns: true })]);
  const localGo = await startQuiet();
  const wheres: Where[] = [{ name: 'local', open: (cacheDir) => LocalTarget.open({ pid: localGo.pid, exe: build.path, log, cacheDir }) }];
  for (const [name, h] of hosts) {
    const go = await startQuiet();
    wheres.push({
      name,
      open: (cacheDir, exe) => TargetReader.open(new RemoteAccess({ ssh: ALIAS.ok, pid: go.pid, exe: exe === 'local' ? build.path : undefined, sshConfig: h.config, log }), { log, cacheDir }),
    });
  }

  const warmDir = tmpCache();
  const rows: Array<{ label: string; values: Array<number | undefined> }> = [];
  const push = (label: string, values: Array<number | undefined>): void => {
    rows.push({ label, values });
    process.stderr.write(`${label}: ${values.map((v) => (v === undefined ? '–' : v.toFixed(2))).join(' / ')}\n`);
  };

  // Per-sample latency (and the pause of consistent reads) on one attach per column.
  const readers: TargetReader[] = [];
  for (const w of wheres) readers.push(await w.open(warmDir, 'local'));
  for (const mode of ['live', 'consistent'] as const) {
    const lat = await latencies(readers, mode);
    push(`${mode} sample, median (ms)`, lat.map((l) => stats(l.wall).median));
    push(`${mode} sample, p95 (ms)`, lat.map((l) => stats(l.wall).p95));
    if (mode === 'consistent') {
      push('consistent: target paused, median (ms)', lat.map((l) => stats(l.pause).median));
      push('consistent: target paused, p95 (ms)', lat.map((l) => stats(l.pause).p95));
    }
  }
  for (const r of readers) await r.close();

  // Time to first sample: attach + layouts + one read (the warm cache is filled by now).
  for (const [exe, cache] of [['local', 'cold'], ['local', 'warm'], ['fetched', 'cold'], ['fetched', 'warm']] as const) {
    push(`first sample, ${exe === 'local' ? 'local exe' : 'fetched exe'}, ${cache} cache, median (ms)`, await firstSamples(wheres, exe, cache, warmDir));
  }

  // Ratios against the local column of the same run; fetched-exe rows against local's same-cache row.
  const localOf = (label: string, v: Array<number | undefined>): number | undefined => v[0] ?? rows.find((r) => r.label === label.replace('fetched exe', 'local exe'))?.values[0];
  const head = ['measure', ...wheres.flatMap((w, i) => (i === 0 ? [w.name] : [w.name, 'ratio']))];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const base = localOf(r.label, r.values);
    const cells = r.values.flatMap((v, i) => {
      const val = v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0);
      if (i === 0) return [val];
      const ratio = v === undefined || base === undefined || base === 0 ? '–' : `${(v / base).toFixed(1)}×`;
      return [val, ratio];
    });
    lines.push(`| ${r.label} | ${cells.join(' | ')} |`);
  }
  const env = `${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${build.goVersion} memhog (paused, one per column), N=${N} samples, ${REPS} attaches per first-sample cell`;
  process.stdout.write(`\n${env}\n\n${lines.join('\n')}\n\nratio: the column / local in the same run (fetched-exe rows: / local's local-exe row with the same cache).\n`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench-remote failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
