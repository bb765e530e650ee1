// One row of scripts/bench-scale.ts, run as its own process against one checkout (ours or the
// baseline's): attach to PID with that checkout's reader, sample at a fixed interval for a
// while, detach, and print one JSON line of per-sample figures. No assertions.
//
//   npx tsx scripts/bench/scale-worker.ts ROOT PID MODE INTERVAL_MS WINDOW_MS
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [root, pidText, mode, intervalText, windowText] = process.argv.slice(2);
if (!root || !pidText || (mode !== 'live' && mode !== 'consistent')) {
  process.stderr.write('usage: scale-worker.ts ROOT PID live|consistent INTERVAL_MS WINDOW_MS\n');
  process.exit(2);
}
const { LocalTarget } = (await import(join(root, 'bridge', 'access', 'local-target.ts'))) as typeof import('../../bridge/access/local-target.ts');
const { silentLogger } = (await import(join(root, 'bridge', 'log.ts'))) as typeof import('../../bridge/log.ts');
const interval = Number(intervalText ?? 10);
const windowMs = Number(windowText ?? 5000);

/** utime + stime of a process, in clock ticks (100/s). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const target = await LocalTarget.open({ pid: Number(pidText), log: silentLogger() });
const gdbPid = (target as unknown as { gdb: { pid: number } }).gdb.pid;
try {
  for (let i = 0; i < 5; i++) await target.sample(mode); // warm: layout, plan
  const rows: Array<{ reads: number; bytes: number; readMs: number; pauseMs: number; torn: number }> = [];
  const errors: string[] = [];
  const cpu0 = process.cpuUsage();
  const gdb0 = cpuTicks(gdbPid);
  const t0 = performance.now();
  let next = t0;
  while (performance.now() - t0 < windowMs) {
    let s;
    try {
      s = await target.sample(mode);
    } catch (err) {
      // A failed sample (e.g. a thread that would not stop within 750 ms) is counted, as a
      // subscriber would see it, and sampling goes on.
      errors.push((err as Error).message);
      if (errors.length > 20) throw err;
      continue;
    }
    rows.push({ reads: s.meta.reads, bytes: s.meta.bytes, readMs: Number(s.meta.readNs) / 1e6, pauseMs: Number(s.meta.pauseNs) / 1e6, torn: s.meta.torn.length > 0 ? 1 : 0 });
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else next = performance.now(); // behind: the next sample starts at once, as a subscriber's would
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ rows, errors, wallMs: wall, nodeCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, gdbCpuPct: ((cpuTicks(gdbPid) - gdb0) * 10 / wall) * 100 }) + '\n');
} finally {
  await target.close();
}
