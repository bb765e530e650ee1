// The acceptance core: on every toolchain, our outside reading equals the target's own
// runtime.ReadMemStats taken right after it, field by field and as JSON text.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { differentialRound, pprofRound, prepareQuietScenario, waitQuiet } from '../../scripts/kit/differential.ts';
import { LOG_DIR } from '../support/gdb.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

interface Scenario {
  name: string;
  env: Record<string, string>;
}
const ENVS: Scenario[] = [
  { name: 'GOGC=100', env: { GOGC: '100' } },
  { name: 'GOGC=off', env: { GOGC: 'off' } },
  { name: 'GOMEMLIMIT=512MiB GOGC=off', env: { GOMEMLIMIT: '512MiB', GOGC: 'off' } },
];

const builds = fixtures().filter((f) => f.variant === 'default' || f.variant === 'cgo' || f.variant === 'pie');
const runs: Array<{ build: FixtureBuild; scenario: Scenario }> = [];
for (const b of builds) for (const s of b.variant === 'default' ? ENVS : [ENVS[0]!]) runs.push({ build: b, scenario: s });

const table: string[] = ['| Go | build | env | unflushed live | unflushed consistent | flushed live | flushed consistent | pprof block | cached spans | tiny | stack spans freed | estimated | retried |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
let stackSpansFreed = 0;
let settledRounds = 0;


for (const { build, scenario } of runs) {
  t.test(`${build.goVersion} ${build.variant} ${scenario.name}: outside reading == ReadMemStats`, async (t) => {
    const go = await GoTarget.start(build, ['-heartbeat', '0'], scenario.env);
    t.teardown(() => go.stop());
    await prepareQuietScenario(go);

    const target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
    t.teardown(() => target.close());
    let quiet = await waitQuiet(target);
    // A GC that ends after the burst flushes every mcache; allocate again until spans are cached.
    for (let i = 0; i < 3 && (await target.sample('live')).flush.cachedSpans === 0; i++) {
      await go.command('burst');
      quiet = await waitQuiet(target);
    }
    t.ok(quiet.quiet, `target quiet after ${quiet.samples} samples`);

    const unflushed = await differentialRound(target, go, ['live', 'consistent']);
    // ReadMemStats just freed stack spans: let the scavenger react before the next round.
    t.ok((await waitQuiet(target)).quiet, 'quiet again after the first ReadMemStats');
    const flushed = await differentialRound(target, go, ['live', 'consistent']);
    const pprof = await pprofRound(target, go);

    const cells: string[] = [];
    for (const [label, round] of [['unflushed', unflushed], ['flushed', flushed]] as const) {
      for (const r of round) {
        // A field flagged `estimated` (it depends on which P runs ReadMemStats) must be
        // within its bound; every other field must be exact.
        const exactMismatch: Record<string, unknown> = {};
        let withinBound = 0;
        for (const [f, m] of Object.entries(r.cmp.mismatches)) {
          const est = r.sample.estimated[f as keyof typeof r.sample.estimated];
          // Only integer fields carry a bound; a BySize or PauseNs mismatch is always exact-wrong.
          const numeric = /^\d+$/.test(m.ours) && /^\d+$/.test(m.theirs);
          const diff = numeric ? BigInt(m.ours) - BigInt(m.theirs) : undefined;
          if (est && diff !== undefined && (diff < 0n ? -diff : diff) <= est.bound) withinBound++;
          else exactMismatch[f] = m;
        }
        t.same(exactMismatch, {}, `${label} ${r.mode}: every field equal (or within its flagged bound)`);
        if (Object.keys(r.sample.estimated).length === 0) t.ok(r.cmp.exact, `${label} ${r.mode}: JSON byte-identical to json.Marshal`);
        t.same(r.sample.meta.torn, [], `${label} ${r.mode}: not torn`);
        // A derived caller P must be right: nothing left to estimate, and exact.
        if (r.sample.callerPs?.length === 1) t.same(Object.keys(r.sample.estimated), [], `${label} ${r.mode}: caller P${r.sample.callerPs[0]} derived, no field estimated`);
        const n = r.cmp.fieldsCompared - Object.keys(r.cmp.mismatches).length;
        // "P1 settled 3": the Ps disagreed on 3 fields and the derived caller P got them exact.
        const settled = r.sample.decidedByCallerP.length > 0 ? ` (P${r.sample.callerPs?.join(',P')} settled ${r.sample.decidedByCallerP.length})` : '';
        settledRounds += settled ? 1 : 0;
        cells.push(`${n}/${r.cmp.fieldsCompared}${withinBound ? ` +${withinBound}±` : ''}${settled}`);
      }
    }
    t.ok(pprof.sameLines, 'pprof # runtime.MemStats block: every line identical but the allocation counters');
    const mallocs = pprof.allocDiffs.Mallocs ?? 0n;
    t.ok(mallocs >= 0n && mallocs <= 16n, `pprof: WriteTo's own allocations before its ReadMemStats: +${mallocs} objects`);
    if (!pprof.sameLines) t.equal(pprof.ours, pprof.theirs);
    cells.push(pprof.ours === pprof.theirs ? 'identical' : pprof.sameLines ? `identical, +${mallocs} own mallocs` : 'differs');

    const u = unflushed[0]!.sample;
    const disturbed = unflushed[0]!.disturbed + flushed[0]!.disturbed;
    if (disturbed > 0) t.comment(`${disturbed} round(s) retried: background work changed flush-invariant fields meanwhile`);
    t.ok(u.flush.cachedSpans > 0, `unflushed state had ${u.flush.cachedSpans} cached spans`);
    t.ok(u.flush.tinyAllocs > 0n, `unflushed state had ${u.flush.tinyAllocs} tiny allocations in mcaches`);
    t.ok(u.memstats.NumGC >= 2 && u.memstats.NumForcedGC >= 1, `GC history: NumGC ${u.memstats.NumGC}, NumForcedGC ${u.memstats.NumForcedGC}`);
    if (scenario.env.GOMEMLIMIT) t.ok(u.memstats.NextGC <= 512n << 20n && u.memstats.NextGC > 256n << 20n, `GOMEMLIMIT: memory-limit NextGC ${u.memstats.NextGC} within the limit`);
    else if (scenario.env.GOGC === 'off') t.ok(u.memstats.NextGC > 1n << 62n, `GOGC=off: memory-limit NextGC ${u.memstats.NextGC} near 2^63`);
    stackSpansFreed += u.flush.spansFreed;
    const est = Object.keys(u.estimated).join(',') || '–';
    table.push(`| ${build.goVersion} | ${build.variant} | ${scenario.name} | ${cells.join(' | ')} | ${u.flush.cachedSpans} | ${u.flush.tinyAllocs} | ${u.flush.spansFreed} | ${est} | ${disturbed} |`);
  });
}

t.test('the stack-cache correction was exercised', async (t) => {
  t.ok(stackSpansFreed > 0, `${stackSpansFreed} stack spans freed by the simulated flush across all runs`);
});

t.teardown(() => {
  mkdirSync(LOG_DIR, { recursive: true });
  // The Ps disagree in only some rounds (a full mspancache, a chunk running out).
  table.push('', `Consistent rounds where the Ps disagreed and the derived caller P settled it: ${settledRounds}.`);
  writeFileSync(join(LOG_DIR, 'differential-table.md'), table.join('\n') + '\n');
  console.log(`\n# differential results (fields exact / compared)\n${table.join('\n')}\n`);
});
