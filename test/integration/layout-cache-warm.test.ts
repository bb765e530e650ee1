// The warm path (issue 15): a layout cached for the target's Go build ID is used as is, and gdb
// then starts with --readnever (no DWARF read at all). A different program rebuilt at the same
// path has another build ID: it must not get the old entry, and is read right. PIE targets
// still find their load bias from ELF symbols alone.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import type { MiClient } from '../../bridge/mi/client.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'mstat-warm-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** Runs `build` from `path` (a copy), reads it once with `cacheDir`; what the reader did. */
async function readOnce(t: Test, build: FixtureBuild, path: string, cacheDir: string): Promise<{ cached: boolean; readnever: boolean; goVersion: string; numGC: number }> {
  copyFileSync(build.path, path);
  const go = await GoTarget.start({ ...build, path }, ['-heartbeat', '0']);
  try {
    let gdbPid = 0;
    const target = await LocalTarget.open({ pid: go.pid, log: silentLogger(), cacheDir, onGdb: (c: MiClient) => (gdbPid = c.pid) });
    try {
      // gdb's own command line, as the kernel has it. Read once gdb has answered: at spawn
      // time the supervisor's fork may not have exec'd gdb yet (it did not on a slow CI).
      const args = readFileSync(`/proc/${gdbPid}/cmdline`, 'utf8').split('\0');
      const s = await target.sample('live');
      t.same(s.meta.torn, [], `${build.goVersion}: a good sample`);
      return { cached: target.layoutCached, readnever: args.includes('--readnever'), goVersion: target.info.goVersion, numGC: s.memstats.NumGC };
    } finally {
      await target.close();
    }
  } finally {
    await go.stop();
  }
}

t.test('cold, then warm with --readnever; a rebuild at the same path gets its own entry', async (t) => {
  const cacheDir = mkdtempSync(join(work, 'cache-'));
  const path = join(work, 'app');
  const a = fixture({ toolchain: '1.26' });
  const b = fixture({ toolchain: '1.27' });

  const cold = await readOnce(t, a, path, cacheDir);
  t.same({ cached: cold.cached, readnever: cold.readnever }, { cached: false, readnever: false }, 'cold: layout resolved from DWARF');
  const warm = await readOnce(t, a, path, cacheDir);
  t.same({ cached: warm.cached, readnever: warm.readnever }, { cached: true, readnever: true }, 'warm: cached layout, gdb started with --readnever');

  const rebuilt = await readOnce(t, b, path, cacheDir);
  t.same({ cached: rebuilt.cached, readnever: rebuilt.readnever }, { cached: false, readnever: false }, 'another build at the same path: not the old entry');
  t.equal(rebuilt.goVersion, b.goVersion, `and read as what it is (${rebuilt.goVersion})`);
  const again = await readOnce(t, b, path, cacheDir);
  t.ok(again.cached && again.readnever, 'which is then warm in turn');
});

t.test('a warm PIE target finds its load bias without DWARF', async (t) => {
  const cacheDir = mkdtempSync(join(work, 'cache-'));
  const pie = fixture({ variant: 'pie' });
  const path = join(work, 'app-pie');
  await readOnce(t, pie, path, cacheDir);
  const warm = await readOnce(t, pie, path, cacheDir);
  t.ok(warm.cached && warm.readnever, 'warm, --readnever');
  t.ok(warm.numGC >= 0, 'read');
});
