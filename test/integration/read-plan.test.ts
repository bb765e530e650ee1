// The read planner against real targets: a sample read through a learned plan stays exact
// when GOMAXPROCS changes between samples (allp, the Ps, their mcaches all move), a quiet
// target costs no command beyond the plan, and a coalesced read skewed in time against a
// target that allocates is still caught as torn.
import t from 'tap';
import type { Memory } from '../../bridge/go/memory/memory.ts';
import { type Sample } from '../../bridge/go/target.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { differentialRound, prepareQuietScenario, waitQuiet, type RoundResult } from '../support/differential.ts';
import { fixtures, fixture, GoTarget } from '../support/go-targets.ts';

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

t.test('a coalesced read skewed in time against an allocating target is caught as torn', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0', '-workers', '4']);
  t.teardown(() => go.stop());
  // Each read of a sample waits 2 ms more than the one before (up to 40 ms): the planned
  // ranges (globals, Ps, mcaches, spans) are then taken tens of ms apart while the workers allocate.
  const skew = (mem: Memory): Memory => {
    let k = 0;
    return { read: async (addr, size) => (await new Promise((r) => setTimeout(r, Math.min(40, 2 * k++))), mem.read(addr, size)) };
  };
  const target = await LocalTarget.open({ pid: go.pid, log: silentLogger(), wrapMemory: skew });
  t.teardown(() => target.close());
  await target.sample('live'); // learn a plan
  const samples: Sample[] = [];
  for (let i = 0; i < 4; i++) samples.push(await target.sample('live'));
  const caught = samples.filter((s) => s.meta.attempts > 1 || s.meta.torn.length > 0);
  t.ok(caught.length >= 3, `${caught.length} of ${samples.length} skewed samples were found torn and retried or flagged (attempts ${samples.map((s) => s.meta.attempts).join(',')})`);
  t.comment(`reasons seen: ${[...new Set(samples.flatMap((s) => s.meta.torn.map((r) => r.replace(/[0-9]+/g, 'N'))))].join('; ') || '(retried before the last attempt)'}`);
});
