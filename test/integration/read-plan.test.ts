// The read planner against real targets: a sample read through a learned plan stays exact
// when GOMAXPROCS changes between samples (allp, the Ps, their mcaches all move), a quiet
// target costs no command beyond the plan, and a coalesced read whose ranges straddle a GC
// cycle is still caught as torn.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import type { Memory } from '../../bridge/go/memory/memory.ts';
import { type Sample } from '../../bridge/go/target.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { differentialRound, prepareQuietScenario, waitQuiet, type RoundResult } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixtures, fixture } from '../../scripts/kit/fixtures.ts';

/** Every field equal to ReadMemStats, or within the bound of a field flagged estimated. */
function inexact(r: RoundResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [f, m] of Object.entries(r.cmp.mismatches)) {
    const est = r.sample.estimated[f as keyof typeof r.sample.estimated];
    const diff = BigInt(m.ours) - BigInt(m.theirs);
    if (!est || (diff < 0n ? -diff : diff) > est.bound) out[f] = m;
  }
  return out;
}

const defaults = fixtures().filter((f) => f.program === 'memhog' && f.variant === 'default');
const oldest = defaults.reduce((a, b) => (a.goVersion < b.goVersion ? a : b));
for (const build of [oldest, fixture()]) {
  t.test(`${build.goVersion}: GOMAXPROCS changes between samples; every sample stays exact`, async (t) => {
    const go = await GoTarget.start(build, ['-heartbeat', '0'], { GOMAXPROCS: '2' });
    t.teardown(() => go.stop());
    await prepareQuietScenario(go);
    const target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
    t.teardown(() => target.close());
    const first = await target.sample('consistent'); // no plan yet
    t.ok((await waitQuiet(target)).quiet, 'quiet');
    await target.sample('consistent');
    const planned = await target.sample('consistent');
    t.equal(planned.meta.misses, 0, `a quiet target: the second sample needs nothing beyond its plan (${planned.meta.reads} commands)`);
    t.ok(planned.meta.reads < first.meta.reads, `planned: ${planned.meta.reads} MI commands, unplanned first sample: ${first.meta.reads}`);

    for (const procs of [2, 8, 3, 1]) {
      if (procs !== 2) {
        t.match(await go.setProcs(procs), new RegExp(`->${procs}$`), `GOMAXPROCS ${procs}`);
        await go.command('burst'); // allocate on the new set of Ps
      }
      t.ok((await waitQuiet(target)).quiet, `quiet at GOMAXPROCS ${procs}`);
      const rounds = await differentialRound(target, go, ['consistent', 'live']);
      for (const r of rounds) {
        t.same(inexact(r), {}, `GOMAXPROCS ${procs}, ${r.mode}: every field equal to ReadMemStats (or within its flagged bound)`);
        t.same(r.sample.meta.torn, [], `GOMAXPROCS ${procs}, ${r.mode}: not torn`);
      }
    }
  });
}

t.test('a coalesced read that straddles a GC cycle is caught as torn', async (t) => {
  const build = fixture();
  const go = await GoTarget.start(build, ['-heartbeat', '0', '-workers', '4', '-start-paused']);
  t.teardown(() => go.stop());
  // The workers are parked. In a skewed sample the ranges in the executable's image (the
  // globals: mheap_, gcController, the sharded stats, in .bss) are read first; the program then
  // runs a whole GC cycle (runtime.GC), and only then are the other ranges (Ps, mcaches, spans)
  // read. So one coalesced read sees two GC cycles, the tear the sweep-generation check is
  // for. Deterministic: a free-running skew against free-running workers is caught only most
  // of the time, which is what the retry is for, but not what a test may count on. (Moving
  // allocations alone, between the globals and the mcaches, are not detectable by the checks;
  // the README says so of live reads.)
  // The executable's mappings, and its .bss: the anonymous mapping right after them.
  const maps = (await readFile(`/proc/${go.pid}/maps`, 'utf8')).trim().split('\n').map((l) => l.trim().split(/\s+/));
  const image = maps
    .filter((f, i) => f[5] === build.path || (f[5] === undefined && maps[i - 1]?.[5] === build.path))
    .map((f) => f[0]!.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint]);
  t.ok(image.length > 3, `the executable's mappings and its .bss are found (${image.length})`);
  const inImage = (addr: bigint): boolean => image.some(([lo, hi]) => addr >= lo && addr < hi);
  let skewing = false;
  const split = { globals: 0, others: 0, gcs: 0 };
  const skew = (mem: Memory): Memory => {
    const globals: Promise<unknown>[] = [];
    let gc: Promise<unknown> | undefined;
    return { read: async (addr, size) => {
      if (!skewing) return mem.read(addr, size);
      if (inImage(addr)) {
        split.globals++;
        const read = mem.read(addr, size);
        globals.push(read);
        return read;
      }
      split.others++;
      // The planned ranges are all asked for in one synchronous pass: a tick later every
      // global read is in the list.
      gc ??= (async () => { await null; await Promise.allSettled(globals); split.gcs++; await go.command('gc'); })();
      await gc;
      return mem.read(addr, size);
    } };
  };
  const target = await LocalTarget.open({ pid: go.pid, log: silentLogger(), wrapMemory: skew });
  t.teardown(() => target.close());
  await go.command('burst');
  await target.sample('live'); // learn a plan
  const quiet = await target.sample('live');
  t.same(quiet.meta.torn, [], 'unskewed, the parked target reads as consistent');
  t.equal(quiet.meta.attempts, 1, 'unskewed, the parked target reads at the first attempt');
  skewing = true;
  const samples: Sample[] = [];
  for (let i = 0; i < 4; i++) samples.push(await target.sample('live'));
  t.ok(split.globals > 0 && split.others > 0 && split.gcs > 0, `the skew split the reads: ${split.globals} in the executable's image, ${split.others} elsewhere, ${split.gcs} GCs between`);
  const caught = samples.filter((s) => s.meta.attempts > 1 || s.meta.torn.length > 0);
  t.equal(caught.length, samples.length, `${caught.length} of ${samples.length} skewed samples were found torn and retried or flagged (attempts ${samples.map((s) => s.meta.attempts).join(',')})`);
  t.comment(`reasons seen: ${[...new Set(samples.flatMap((s) => s.meta.torn.map((r) => r.replace(/[0-9]+/g, 'N'))))].join('; ') || '(retried before the last attempt)'}`);
});
