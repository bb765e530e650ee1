// The Go collector's other values (go_goroutines, go_threads, go_sched_gomaxprocs_threads,
// go_gc_gogc_percent, go_gc_gomemlimit_bytes), read from outside, equal what the target's own
// runtime.NumGoroutine, ThreadCreateProfile, GOMAXPROCS and runtime/metrics return: on every
// toolchain, cgo and PIE, live and consistent, under GOGC/GOMEMLIMIT settings and after a
// GOMAXPROCS change. And the process facts match /proc's own view of the target.
import { readdirSync, readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { type Sample } from '../../bridge/go/target.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import type { RuntimeStats } from '../../protocol/process-stats.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture, fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

/** The target's `runtime` reply as exact text values (memoryLimit can be 2^63−1: no JS number). */
async function theirs(go: GoTarget): Promise<Record<keyof RuntimeStats, string>> {
  const line = (await go.command('runtime')).rawLine ?? '';
  const v = (k: string): string => new RegExp(`"${k}":(-?\\d+)`).exec(line)?.[1] ?? `missing in ${line}`;
  return { goroutines: v('goroutines'), threads: v('threads'), gomaxprocs: v('gomaxprocs'), gcPercent: v('gcPercent'), memoryLimit: v('memoryLimit') };
}

const ours = (s: Sample): Record<keyof RuntimeStats, string> => ({
  goroutines: String(s.runtime.goroutines),
  threads: String(s.runtime.threads),
  gomaxprocs: String(s.runtime.gomaxprocs),
  gcPercent: String(s.runtime.gcPercent),
  memoryLimit: String(s.runtime.memoryLimit),
});

/**
 * Our reading, the target's, and ours again: equal when nothing moved in between. A round in
 * which our two readings differ (a thread was started meanwhile) is taken again.
 */
async function compare(t: Test, target: LocalTarget, go: GoTarget, mode: 'live' | 'consistent', what: string): Promise<void> {
  // A consistent sample that could not stop every thread in time (a loaded machine) fails with
  // READ_FAILED and leaves the target running: no value to compare, so the round is taken again.
  const sample = async (): Promise<Sample | undefined> =>
    target.sample(mode).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'GO_ERR_READ_FAILED') return undefined;
      throw err;
    });
  for (let round = 1; ; round++) {
    const first = await sample();
    const reference = await theirs(go);
    const second = await sample();
    if ((!first || !second) && round < 4) continue;
    if (!first || !second) throw new Error(`${what} ${mode}: no sample in 4 rounds`);
    const before = ours(first);
    const after = ours(second);
    if (JSON.stringify(before) !== JSON.stringify(after) && round < 4) continue;
    t.strictSame(before, reference, `${what} ${mode}: ${JSON.stringify(before)}`);
    return;
  }
}

const SCENARIOS = [
  { name: 'defaults', env: {} },
  { name: 'GOGC=off GOMEMLIMIT=512MiB', env: { GOGC: 'off', GOMEMLIMIT: '512MiB' } },
  { name: 'GOGC=37 GOMAXPROCS=1', env: { GOGC: '37', GOMAXPROCS: '1' } },
];
const runs: Array<{ build: FixtureBuild; scenario: (typeof SCENARIOS)[number] }> = [];
for (const build of fixtures().filter((f) => f.program === 'memhog' && ['default', 'cgo', 'pie'].includes(f.variant))) {
  for (const scenario of build.variant === 'default' ? SCENARIOS : SCENARIOS.slice(0, 1)) runs.push({ build, scenario });
}

for (const { build, scenario } of runs) {
  t.test(`${build.goVersion} ${build.variant} ${scenario.name}: runtime counters == the target's own`, async (t) => {
    const go = await GoTarget.start(build, ['-heartbeat', '0'], scenario.env);
    t.teardown(() => go.stop());
    // The workers start helper goroutines that live for moments: parked, the count holds still.
    await go.command('pause');
    const target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
    t.teardown(() => target.close());
    for (const mode of ['live', 'consistent'] as const) await compare(t, target, go, mode, 'at start');
    // allp and the Ps' free-g caches change with GOMAXPROCS.
    await go.setProcs(3);
    await go.command('stacks'); // 64 goroutines came and went: free gs now sit on the Ps
    await compare(t, target, go, 'consistent', 'GOMAXPROCS 3, after 64 goroutines exited');
  });
}

t.test('process facts: what /proc says of the target, computed as procfs does', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  const target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
  t.teardown(() => target.close());
  const p = (await target.sample('live')).process;
  if (!p) throw new Error('a local sample carries process stats');
  const stat = readFileSync(`/proc/${go.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  t.equal(p.startTimeSeconds, btime + Number(fields[19]) / 100, 'start time: btime + starttime / USER_HZ');
  t.equal(p.openFds, readdirSync(`/proc/${go.pid}/fd`).length, 'open fds: entries of /proc/PID/fd');
  const limits = readFileSync(`/proc/${go.pid}/limits`, 'utf8');
  const soft = (name: string): bigint => {
    const v = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits)![1]!;
    return v === 'unlimited' ? (1n << 64n) - 1n : BigInt(v);
  };
  t.equal(p.maxFds, soft('Max open files'), 'max fds: the soft RLIMIT_NOFILE');
  t.equal(p.virtualMaxBytes, soft('Max address space'), 'max virtual memory: the soft RLIMIT_AS');
  t.ok(p.residentBytes > 1_000_000n && p.virtualBytes > p.residentBytes, `rss ${p.residentBytes} and vsize ${p.virtualBytes} are a Go program's`);
  t.ok(p.cpuSeconds >= 0 && p.cpuSeconds < 60, `cpu ${p.cpuSeconds} s`);
});
