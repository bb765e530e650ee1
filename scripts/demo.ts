// The README's main command: start the bundled demo Go program, attach gdb in non-stop
// mode (nothing stopped), and stream what it reads live until Ctrl-C (or --duration).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createRootLogger } from '../bridge/log.ts';
import { dataEvaluateExpression } from '../bridge/mi/commands/data.ts';
import { fileExecAndSymbols } from '../bridge/mi/commands/file.ts';
import { attachInBackground } from '../bridge/mi/commands/target.ts';
import { openGdb } from '../bridge/mi/open.ts';
import { resumeIfStopped } from '../bridge/targets/watchdog.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '0' },
    interval: { type: 'string', default: '1000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run demo [-- --duration SECONDS] [--interval MS]\n  Starts the demo Go program (test/targets/memhog), attaches gdb non-stop and streams readings until Ctrl-C.');
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const intervalMs = Math.max(100, Number(values.interval));

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'targets', '.build', 'manifest.json'), 'utf8')) as Array<{ program: string; variant: string; toolchain: string; path: string }>;
const build = manifest.filter((b) => b.program === 'memhog' && b.variant === 'default').sort((a, b) => b.toolchain.localeCompare(a.toolchain, undefined, { numeric: true }))[0];
if (!build) throw new Error('demo program not built: run scripts/build-fixtures.sh');

const log = createRootLogger({ level: 'warn', name: 'demo' });
const target = spawn(build.path, ['-control', '-deadline', '0', '-heartbeat', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
const ready = await new Promise<{ pid: number; goVersion: string }>((resolve, reject) => {
  const rl = createInterface({ input: target.stdout });
  rl.on('line', (l) => {
    const e = JSON.parse(l) as { event: string; pid: number; goVersion: string };
    if (e.event === 'ready') resolve(e);
  });
  target.once('exit', (c) => reject(new Error(`demo program exited (${c})`)));
});
console.log(`demo program ${build.path} running as pid ${ready.pid} (${ready.goVersion})`);

const t0 = Date.now();
const gdb = await openGdb({ log });
await fileExecAndSymbols(gdb, `/proc/${ready.pid}/exe`);
await attachInBackground(gdb, ready.pid);
console.log(`gdb ${gdb.version.banner} (pid ${gdb.pid}) attached in non-stop mode in ${Date.now() - t0} ms; no thread stopped. Ctrl-C to detach.`);

const state = (): string => /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))?.[1] ?? '?';
const ev = (e: string): Promise<string> => dataEvaluateExpression(gdb, e);

let stopping = false;
async function stop(code = 0): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  const exit = await gdb.close();
  for (const pid of exit.attachedPids) resumeIfStopped(pid, log);
  console.log(`detached; gdb exited (${exit.exitCode ?? exit.signal}); demo program state: ${state()}`);
  target.stdin.end();
  await new Promise((r) => target.once('exit', r));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

console.log('time      counter     numgc  heapInUse   heapReleased  state');
for (;;) {
  const [counter, numgc, inuse, released] = await Promise.all([
    ev("'main.counter'"),
    ev("'runtime.memstats'.numgc"),
    ev("'runtime.gcController'.heapInUse"),
    ev("'runtime.gcController'.heapReleased"),
  ]);
  const secs = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`${secs}s  ${counter.padStart(9)}  ${numgc.padStart(6)}  ${inuse.padStart(10)}  ${released.padStart(12)}  ${state()}`);
  if (durationMs > 0 && Date.now() - t0 >= durationMs) await stop(0);
  await new Promise((r) => setTimeout(r, intervalMs));
}
