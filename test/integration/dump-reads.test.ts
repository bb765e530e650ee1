// Large reads go through `dump binary memory` into the reader's private directory, which is
// gdb's working directory once attached, so each dump names its file in a few bytes (gdb reads
// its input one byte per read(2)). The bytes must equal what -data-read-memory-bytes returns,
// and nothing may be left in the directory.
import { existsSync, readdirSync } from 'node:fs';
import t from 'tap';
import type { Memory } from '../../bridge/go/memory/memory.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import type { MiClient } from '../../bridge/mi/client.ts';
import { dataReadMemoryBytes } from '../../bridge/mi/commands/data.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';

t.test('a dump in the private directory, by bare name, gives the bytes -data-read-memory-bytes gives', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  let gdb: MiClient | undefined;
  const sent: string[] = [];
  let mem: Memory | undefined;
  const target = await LocalTarget.open({
    pid: go.pid,
    log: silentLogger(),
    onGdb: (c) => {
      gdb = c;
      c.on('line-out', (l) => sent.push(l));
    },
    wrapMemory: (m) => (mem = m),
  });
  t.teardown(() => target.close());
  await target.sample('live');
  if (!gdb || !mem) throw new Error('no gdb or memory seen');

  const cd = sent.find((l) => /^\d+-environment-cd /.test(l));
  t.ok(cd, `gdb was moved into the dump directory: ${cd}`);
  const dir = /-environment-cd "(.*)"$/.exec(cd ?? '')?.[1] ?? '';
  t.ok(existsSync(dir), 'that directory exists while the reader is open');

  // The program text: the same bytes whenever it is read, whatever the program does.
  const start = 0x401000n;
  const size = 64 * 1024;
  const before = sent.length;
  const dumped = await mem.read(start, size);
  const dumps = sent.slice(before).filter((l) => / "dump binary memory /.test(l));
  t.equal(dumps.length, 1, `one dump: ${dumps[0]}`);
  t.match(dumps[0] ?? '', /^\d+-interpreter-exec console "dump binary memory r\d+ 0x401000 0x411000"$/, 'the file by its bare name; `console` unquoted');
  const hex = await dataReadMemoryBytes(gdb, start, size);
  t.equal(dumped.length, size);
  t.ok(dumped.equals(hex.bytes), 'the same bytes as -data-read-memory-bytes');
  t.same(readdirSync(dir), [], 'no dump file left behind');

  await target.close();
  t.notOk(existsSync(dir), 'the directory is removed with the reader');
});
