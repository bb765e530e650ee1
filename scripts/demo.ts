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

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '0' },
    interval: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'live' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run demo [-- --duration SECONDS] [--interval MS] [--mode live|consistent]\n  Starts the demo Go program (test/targets/memhog), attaches from outside and streams its exact MemStats until Ctrl-C.');
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const intervalMs = Math.max(50, Number(values.interval));
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
console.log(header);

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

const mib = (b: bigint): string => `${(Number(b) / 1048576).toFixed(1)} MiB`;
const rate = (d: bigint, ms: number): string => (ms > 0 ? `${((Number(d) / ms) * 1000 / 1048576).toFixed(1)} MiB/s` : '–');
const tty = process.stdout.isTTY === true;
let prev: Sample | undefined;

function render(s: Sample): string {
  const m = s.memstats;
  const dt = prev ? s.time.getTime() - prev.time.getTime() : 0;
  const lastPause = m.NumGC > 0 ? m.PauseNs[(m.NumGC + 255) % 256]! : 0n;
  const flags = [...Object.keys(s.estimated).map((f) => `${f}±`), ...(s.meta.torn.length ? ['TORN'] : [])].join(' ');
  if (!tty) {
    return `${new Date().toISOString()} HeapAlloc=${m.HeapAlloc} HeapInuse=${m.HeapInuse} HeapIdle=${m.HeapIdle} HeapReleased=${m.HeapReleased} Sys=${m.Sys} NextGC=${m.NextGC} Mallocs=${m.Mallocs} NumGC=${m.NumGC} StackInuse=${m.StackInuse} read=${(Number(s.meta.readNs) / 1e6).toFixed(1)}ms${flags ? ` ${flags}` : ''}`;
  }
  return [
    `${header}`,
    '',
    `  HeapAlloc   ${mib(m.HeapAlloc).padStart(12)}   of NextGC ${mib(m.NextGC)}  (${((Number(m.HeapAlloc) / Number(m.NextGC)) * 100).toFixed(0)}%)`,
    `  HeapInuse   ${mib(m.HeapInuse).padStart(12)}   HeapIdle ${mib(m.HeapIdle)}   HeapReleased ${mib(m.HeapReleased)}   HeapSys ${mib(m.HeapSys)}`,
    `  Sys         ${mib(m.Sys).padStart(12)}   StackInuse ${mib(m.StackInuse)}   GCSys ${mib(m.GCSys)}   OtherSys ${mib(m.OtherSys)}`,
    `  alloc rate  ${(prev ? rate(m.TotalAlloc - prev.memstats.TotalAlloc, dt) : '–').padStart(12)}   mallocs/s ${prev && dt > 0 ? Math.round((Number(m.Mallocs - prev.memstats.Mallocs) / dt) * 1000) : '–'}   objects ${m.HeapObjects}`,
    `  GC          ${String(m.NumGC).padStart(12)}   last pause ${(Number(lastPause) / 1000).toFixed(0)} µs   total pause ${(Number(m.PauseTotalNs) / 1e6).toFixed(1)} ms   GC CPU ${(m.GCCPUFraction * 100).toFixed(2)}%`,
    '',
    `  sample: ${mode}, ${(Number(s.meta.readNs) / 1e6).toFixed(1)} ms, ${s.meta.reads} reads, pause ${(Number(s.meta.pauseNs) / 1e6).toFixed(2)} ms${flags ? `, ${flags}` : ''}`,
  ].join('\n');
}

for (;;) {
  const s = await target.sample(mode);
  if (tty) process.stdout.write('\x1b[2J\x1b[H' + render(s) + '\n');
  else console.log(render(s));
  prev = s;
  if (durationMs > 0 && Date.now() - t0 >= durationMs) await stop(0);
  await new Promise((r) => setTimeout(r, intervalMs));
}
