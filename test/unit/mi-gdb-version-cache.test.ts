// checkGdb remembers `gdb --version` per gdb file (real path, inode, size, mtime) in the cache
// directory: a one-shot skips the 80-110 ms spawn, and a changed gdb is asked again.
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkGdb } from '../../bridge/mi/gdb-check.ts';

t.test('asked once per gdb file; asked again when the file changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mstat-gdbver-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const saved = process.env.MSTAT_CACHE_DIR;
  process.env.MSTAT_CACHE_DIR = join(dir, 'cache');
  t.teardown(() => {
    if (saved === undefined) delete process.env.MSTAT_CACHE_DIR;
    else process.env.MSTAT_CACHE_DIR = saved;
  });
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const gdb = join(dir, 'gdb');
  const script = (v: string) => `#!/bin/sh\necho x >> '${calls}'\necho 'GNU gdb (Test) ${v}'\n`;
  writeFileSync(gdb, script('13.1'));
  chmodSync(gdb, 0o755);
  const asked = () => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

  t.match(await checkGdb(gdb), { major: 13, minor: 1 });
  t.match(await checkGdb(gdb), { major: 13, minor: 1 });
  t.equal(asked(), 1, 'asked once');
  t.ok(readFileSync(join(dir, 'cache', 'gdb-version.json'), 'utf8').includes('GNU gdb (Test) 13.1'), 'remembered in the cache directory');

  writeFileSync(gdb, script('7.12'));
  utimesSync(gdb, new Date(), new Date(Date.now() + 5000));
  await t.rejects(checkGdb(gdb), { code: 'MI_ERR_GDB_UNSUPPORTED' }, 'the changed file is asked again, and found too old');
  t.equal(asked(), 2, 'asked again');
});
