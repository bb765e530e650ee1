// Records, per toolchain, the raw target memory one quiet sample reads, the layout, and the
// target's own json.Marshal(MemStats) taken right after: the unit tests replay the bytes
// through the decoder offline. A recording is only saved when the live decode was exact.
// Usage: npx tsx scripts/record-memstats-fixture.ts   (after scripts/build-fixtures.sh)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSnapshot } from '../bridge/go/decode/memstats.ts';
import { MiMemory, RecordingMemory } from '../bridge/go/memory/memory.ts';
import { readSnapshot } from '../bridge/go/memory/read.ts';
import { LocalTarget } from '../bridge/access/local-target.ts';
import { silentLogger } from '../bridge/log.ts';
import { formatMemStatsJson } from '../clients/shared/memstats-format.ts';
import { compareJson, rawMemStatsJson, waitQuiet } from './kit/differential.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixtures } from './kit/fixtures.ts';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'memstats');
mkdirSync(OUT, { recursive: true });

for (const build of fixtures().filter((f) => f.variant === 'default')) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const go = await GoTarget.start(build, ['-heartbeat', '0'], { GOGC: 'off', GOMEMLIMIT: '256MiB' });
    let target: LocalTarget | undefined;
    try {
      await new Promise((r) => setTimeout(r, 200));
      await go.command('gc');
      await go.command('stacks');
      await go.command('pause');
      await go.command('burst');
      target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
      await waitQuiet(target);
      // Reach into the target for its read context: this is a recording tool.
      const inner = target as unknown as { gdb: ConstructorParameters<typeof MiMemory>[0]; layout: Parameters<typeof decodeSnapshot>[1]; bias: bigint; arch: Parameters<typeof decodeSnapshot>[2]; rule: Parameters<typeof decodeSnapshot>[3] };
      const mem = new RecordingMemory(new MiMemory(inner.gdb));
      const snap = await readSnapshot({ mem, layout: inner.layout, bias: inner.bias, arch: inner.arch });
      const decoded = decodeSnapshot(snap, inner.layout, inner.arch, inner.rule);
      const theirs = rawMemStatsJson(await go.command('memstats'));
      const ours = formatMemStatsJson(decoded.memstats);
      if (ours !== theirs || decoded.torn.length > 0 || Object.keys(decoded.estimated).length > 0) {
        console.error(`${build.goVersion}: attempt ${attempt} not exact (torn: ${decoded.torn.join('; ')}; estimated: ${Object.keys(decoded.estimated).join(',')}; ${JSON.stringify(compareJson(decoded.memstats, theirs).mismatches)}); retrying`);
        continue;
      }
      const file = join(OUT, `${build.goVersion}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          goVersion: build.goVersion,
          note: 'raw memory of one quiet sample (GOGC=off, GOMEMLIMIT=256MiB) and the target\'s own json.Marshal(MemStats) right after; recorded by scripts/record-memstats-fixture.ts',
          arch: inner.arch.name,
          bias: inner.bias.toString(),
          rule: { percent: inner.rule.percent?.toString(), min: inner.rule.min.toString() },
          layout: inner.layout,
          regions: mem.regions,
          flush: { cachedSpans: decoded.flush.cachedSpans, tinyAllocs: decoded.flush.tinyAllocs.toString(), spansFreed: decoded.flush.spansFreed },
          expectedJson: theirs,
        }) + '\n',
      );
      console.error(`wrote ${file} (${mem.regions.length} regions, ${decoded.flush.cachedSpans} cached spans, ${decoded.flush.spansFreed} stack spans freed)`);
      break;
    } finally {
      await target?.close();
      await go.stop();
    }
  }
}
