// The README's main command: start the bundled demo Go program, attach to it from the
// outside (non-stop gdb, nothing stopped) and stream its exact runtime.MemStats live until
// Ctrl-C (or --duration). A refreshing view on a terminal, one line per sample otherwise.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { LocalTarget, type Sample } from '../bridge/go/target.ts';
import { createRootLogger } from '../bridge/log.ts';
import { parseDuration } from '../clients/shared/duration.ts';
import { LiveFrame, SHOW_CURSOR, watchBlock, watchLine } from '../clients/shared/watch-view.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '0' },
    interval: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'live' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run demo [-- --duration SECONDS] [--interval MS|DURATION] [--mode live|consistent]\n  Starts the demo Go program (test/targets/memhog), attaches from outside and streams its exact MemStats until Ctrl-C.');
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const intervalMs = Math.max(50, parseDuration(values.interval) ?? 1000); // plain ms, or 500ms, 1s, …
const mode = values.mode === 'consistent' ? 'consistent' : 'live';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'targets', '.build', 'manifest.json'), 'utf8')) as Array<{ program: string; variant: string; toolchain: string; path: string }>;
const build = manifest.filter((b) => b.program === 'memhog' && b.variant === 'default').sort((a, b) => b.toolchain.localeCompare(a.toolchain, undefined, { numeric: true }))[0];
if (!build) throw new Error('demo program not built: run scripts/build-fixtures.sh');

const log = createRootLogger({ level: 'warn', name: 'demo' });
const child = spawn(build.path, ['-control', '-deadline', '0', '-heartbeat', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
const ready = await new Promise<{ pid: number; goVersion: string }>((resolve, reject) => {
  createInterface({ input: child.stdout }).on('line', (l) => {
    const e = JSON.parse(l) as { event: string; pid: number; goVersion: string };
    if (e.event === 'ready') resolve(e);
  });
  child.once('exit', (c) => reject(new Error(`demo program exited (${c})`)));
});

const t0 = Date.now();
const target = await LocalTarget.open({ pid: ready.pid, log });
const header = `demo program ${build.path}\npid ${ready.pid}, ${target.info.goVersion}; attached non-stop in ${Date.now() - t0} ms (layout ${target.layoutCached ? 'from cache' : 'resolved from DWARF'}); mode ${mode}. Ctrl-C detaches.`;
if (process.stdout.isTTY !== true) console.log(header); // on a terminal every frame carries it

let stopping = false;
async function stop(code = 0): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  await target.close();
  const state = /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))?.[1] ?? '?';
  console.log(`\ndetached; demo program still ${state}; stopping it.`);
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const tty = process.stdout.isTTY === true;
const frame = new LiveFrame();
let prev: Sample | undefined;
process.on('exit', () => {
  if (tty) process.stdout.write(SHOW_CURSOR);
});

for (;;) {
  const s = await target.sample(mode);
  if (tty) process.stdout.write(frame.frame(watchBlock(s, prev, { header: header.split('\n'), intervalMs }), process.stdout.columns));
  else console.log(watchLine(s, prev));
  prev = s;
  if (durationMs > 0 && Date.now() - t0 >= durationMs) await stop(0);
  await new Promise((r) => setTimeout(r, intervalMs));
}
