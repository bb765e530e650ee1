// Records real -target-select replies (core, remote, extended-remote, and failures) into
// test/fixtures/mi/target-select.mi (the targetSelect reply validation's recorded corpus).
// Usage: npx tsx scripts/record-mi-target-select.ts   (needs gdbserver)
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { silentLogger } from '../bridge/log.ts';
import type { MiClient } from '../bridge/mi/client.ts';
import { CliText, rawArg } from '../bridge/mi/escape.ts';
import { openGdb } from '../bridge/mi/open.ts';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'mi', 'target-select.mi');
const out = createWriteStream(OUT);
out.write('# target-select: gdb 13 MI replies to -target-select core/remote/extended-remote (targets: /bin/sleep, a core of it, gdbserver 13 --once on 127.0.0.1)\n');
const dir = mkdtempSync(join(tmpdir(), 'rec-ts-'));

async function session(title: string, body: (gdb: MiClient) => Promise<void>): Promise<void> {
  out.write(`# --- ${title}\n`);
  const gdb = await openGdb({
    log: silentLogger(),
    onSpawn: (c) => {
      c.on('line-out', (l) => out.write(`-> ${l}\n`));
      c.on('line-in', (l) => out.write(`${l}\n`));
    },
  });
  try {
    await body(gdb);
  } finally {
    await gdb.close({ graceMs: 2000 });
  }
}
// Raw send, not targetSelect(): records whatever class gdb answers.
const select = (gdb: MiClient, kind: string, param: string) =>
  gdb.send('-target-select', [rawArg(kind), CliText.of(param)], { timeoutMs: 30_000 }).then((r) => console.error(kind, param, '→', r.record.class), (e: Error) => console.error(kind, param, '→', e.message));

const core = join(dir, 'sleep.core');
await execa('gdb', ['-nx', '-q', '-batch', '-ex', 'starti', '-ex', `gcore ${core}`, '--args', '/bin/sleep', '5']);

await session('core file', async (gdb) => {
  await gdb.send('-file-exec-and-symbols', ['/bin/sleep']);
  await select(gdb, 'core', join(dir, 'no-such.core'));
  await select(gdb, 'core', core);
});

const port = 20000 + Math.floor(Math.random() * 20000);
const gs = execa('gdbserver', ['--once', `127.0.0.1:${port}`, '/bin/sleep', '30'], { reject: false });
await new Promise((r) => setTimeout(r, 700));
await session('remote (gdbserver --once PORT /bin/sleep 30)', async (gdb) => {
  await gdb.send('-file-exec-and-symbols', ['/bin/sleep']);
  await select(gdb, 'remote', `127.0.0.1:${port}`);
  await gdb.send('-interpreter-exec', ['console', 'kill']).catch(() => undefined);
});
await gs;

const gs2 = execa('gdbserver', ['--once', '--multi', `127.0.0.1:${port + 1}`], { reject: false });
await new Promise((r) => setTimeout(r, 700));
await session('extended-remote (gdbserver --once --multi PORT), then a closed port', async (gdb) => {
  await gdb.send('-file-exec-and-symbols', ['/bin/sleep']);
  await select(gdb, 'extended-remote', `127.0.0.1:${port + 1}`);
  await gdb.send('-target-disconnect').catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  await select(gdb, 'extended-remote', `127.0.0.1:${port + 2}`);
});
gs2.kill('SIGTERM');
await gs2;
rmSync(dir, { recursive: true, force: true });
out.end();
console.error('wrote', OUT);
