// Records real gdb MI traffic against the Go fixtures into test/fixtures/mi/*.mi, the
// parser's recorded test corpus. Lines starting with "-> " are what we sent.
// Usage: npx tsx scripts/record-mi-transcript.ts   (after scripts/build-fixtures.sh)
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../bridge/log.ts';
import type { MiClient } from '../bridge/mi/client.ts';
import { interpreterExecConsole } from '../bridge/mi/commands/console.ts';
import { dataEvaluateExpression, dataReadMemoryBytes } from '../bridge/mi/commands/data.ts';
import { execContinueAll, execInterruptAll } from '../bridge/mi/commands/exec.ts';
import { fileExecAndSymbols } from '../bridge/mi/commands/file.ts';
import { listFeatures } from '../bridge/mi/commands/gdb.ts';
import { attachInBackground, targetDetach } from '../bridge/mi/commands/target.ts';
import { openGdb } from '../bridge/mi/open.ts';
import { GoTarget } from './kit/go-target.ts';
import { fixture, type FixtureBuild } from './kit/fixtures.ts';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'mi');
mkdirSync(OUT, { recursive: true });

async function record(name: string, build: FixtureBuild, args: string[], body: (gdb: MiClient, target: GoTarget) => Promise<void>): Promise<void> {
  const target = await GoTarget.start(build, args);
  const file = join(OUT, `${name}.mi`);
  const out = createWriteStream(file);
  out.write(`# ${name}: gdb 13 MI with ${build.goVersion} (${build.variant}); recorded by scripts/record-mi-transcript.ts\n`);
  const gdb = await openGdb({
    log: silentLogger(),
    onSpawn: (c) => {
      c.on('line-out', (l) => out.write(`-> ${l}\n`));
      // Memory dumps are long and say nothing new to the parser past the first bytes.
      c.on('line-in', (l) => out.write(`${l.replace(/contents="([0-9a-f]{256})[0-9a-f]+"/, 'contents="$1"')}\n`));
    },
  });
  try {
    await body(gdb, target);
  } finally {
    await gdb.close();
    await target.stop();
    out.end();
    console.error(`wrote ${file}`);
  }
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

await record('attach-read-detach', fixture(), [], async (gdb, target) => {
  await listFeatures(gdb);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  const addr = BigInt(await dataEvaluateExpression(gdb, "(unsigned long)&'runtime.memstats'"));
  await dataEvaluateExpression(gdb, "sizeof('runtime.mstats')");
  await dataEvaluateExpression(gdb, "(long)&(('runtime.mstats'*)0)->heapStats.stats[2].tinyAllocCount");
  await dataReadMemoryBytes(gdb, addr, 64);
  await dataEvaluateExpression(gdb, "'no.such.symbol'").catch(() => undefined);
  await dataReadMemoryBytes(gdb, 8n, 8).catch(() => undefined);
  await interpreterExecConsole(gdb, "ptype/o 'runtime.heapStatsDelta'");
  await interpreterExecConsole(gdb, "ptype/o 'runtime.mcache'");
  await dataEvaluateExpression(gdb, "'runtime.buildVersion'");
  await targetDetach(gdb, target.pid);
});

await record('interrupt-continue', fixture(), ['-signals'], async (gdb, target) => {
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await settle(200);
  await execInterruptAll(gdb);
  await settle(200);
  await interpreterExecConsole(gdb, 'info threads');
  await gdb.send('-thread-info');
  await gdb.send('-list-thread-groups');
  await execContinueAll(gdb);
  await settle(200);
});

await record('cgo-attach', fixture({ variant: 'cgo' }), [], async (gdb, target) => {
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await settle(300);
  await gdb.send('-list-thread-groups', ['--available']).catch(() => undefined);
  await interpreterExecConsole(gdb, 'info sharedlibrary');
});

await record('old-go-1.19', fixture({ toolchain: '1.19' }), [], async (gdb, target) => {
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await interpreterExecConsole(gdb, "ptype/o 'runtime.gcControllerState'");
  await dataEvaluateExpression(gdb, "'runtime.gcController'.heapInUse");
});
