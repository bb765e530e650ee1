// clients/shared/memstats-format.ts differentially against real Go output: memhog's `memstats`
// reply (json.Marshal) and its heap profile's `# runtime.MemStats` block, byte for byte, for
// every toolchain we build.
import t from 'tap';
import { formatMemStatsJson, formatMemStatsPprof, formatMemStatsText } from '../../clients/shared/memstats-format.ts';
import type { MemStats } from '../../protocol/memstats.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';
import { parseMemStatsJson, parsePprofBlock } from '../support/memstats-text.ts';
import { rawMemStatsJson } from '../../scripts/kit/differential.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const WANTED = ['1.19', '1.21', '1.22', '1.23', '1.26', '1.27'];
const builds: FixtureBuild[] = fixtures().filter((f) => f.program === 'memhog' && f.variant === 'default' && WANTED.includes(f.toolchain));

t.test('the required toolchains are built', async (t) => {
  for (const tc of ['1.19', '1.23', '1.26', '1.27']) t.ok(builds.some((b) => b.toolchain === tc), `memhog built with ${tc}`);
});

const MEMSTATS_PREFIX = '{"event":"memstats","memstats":';

for (const build of builds) {
  t.test(`Go ${build.goVersion}: formatMemStatsJson and formatMemStatsPprof reproduce Go's output`, async (t) => {
    const target = await GoTarget.start(build, ['-heartbeat', '0']);
    t.teardown(() => target.stop());
    await sleep(300);
    t.equal((await target.command('gc')).event, 'gc'); // NumForcedGC > 0
    await sleep(200);
    t.equal((await target.command('pause')).event, 'paused');

    // Two readings: their GCCPUFraction values differ (one may also have fewer digits).
    const readings: MemStats[] = [];
    for (let i = 0; i < 2; i++) {
      const reply = await target.command('memstats');
      t.equal(reply.event, 'memstats');
      const line = reply.rawLine;
      if (line === undefined) throw new Error('no rawLine');
      t.ok(line.startsWith(MEMSTATS_PREFIX) && line.endsWith('}'), 'reply framing');
      const raw = line.slice(MEMSTATS_PREFIX.length, -1);
      const m = parseMemStatsJson(raw);
      t.equal(formatMemStatsJson(m), raw, `JSON byte-identical (reading ${i + 1})`);
      t.ok(m.NumGC > 0 && m.NumForcedGC > 0 && m.LastGC > BigInt(Number.MAX_SAFE_INTEGER), 'GCs happened; LastGC exceeds 2^53');
      t.ok(m.GCCPUFraction > 0, 'GCCPUFraction is non-trivial');
      readings.push(m);
      t.match(formatMemStatsText(m), /^Alloc = \d+\n/);
    }
    let last = readings.at(-1)!;

    // The pprof block against the reading just before it. The workers are paused, but a GC can
    // still run in between (the 2-minute forced GC): then both are taken again.
    let block = '';
    let parsed: ReturnType<typeof parsePprofBlock> | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) last = parseMemStatsJson(rawMemStatsJson(await target.command('memstats')));
      const reply = await target.command('pprof');
      t.equal(reply.event, 'pprof');
      const text = reply.text;
      if (typeof text !== 'string') throw new Error('pprof reply without text');
      t.match(text, /^heap profile: /);
      const at = text.indexOf('\n\n# runtime.MemStats\n');
      t.ok(at > 0, 'the MemStats block follows an empty line');
      block = text.slice(at + 2);
      t.equal(block.indexOf('\n# runtime.MemStats\n'), -1, 'one block');
      parsed = parsePprofBlock(block, last);
      if (parsed.m.NumGC === last.NumGC) break;
    }
    const { m, maxRss } = parsed!;
    t.ok(maxRss !== undefined && maxRss > 0n, 'Linux prints MaxRSS');
    t.equal(formatMemStatsPprof(m, maxRss), block, 'pprof block byte-identical');
    t.equal(formatMemStatsPprof(m), block.replace(/# MaxRSS = \d+\n$/, ''), 'without MaxRSS');

    // The pprof reading was taken after `last` with no GC in between: the GC history agrees.
    t.equal(m.NumGC, last.NumGC, 'no GC between the memstats and pprof readings (in 3 tries)');
    t.same(m.PauseNs, last.PauseNs, 'PauseNs agrees with the memstats reply');
    t.same(m.PauseEnd, last.PauseEnd, 'PauseEnd agrees');
    t.equal(m.LastGC, last.LastGC, 'LastGC agrees');
    t.equal(m.NumForcedGC, last.NumForcedGC);
    t.ok(m.TotalAlloc >= last.TotalAlloc && m.Mallocs >= last.Mallocs, 'cumulative counters did not go back');
    t.equal(m.DebugGC, last.DebugGC);

    t.equal((await target.command('exit')).event, 'exit');
  });
}
