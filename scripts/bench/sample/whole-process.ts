// The readings bench-sample times as whole processes: the mstat CLI (warm cache), and the classic
// way, an all-stop `gdb -batch -p PID` with a Python dump of runtime.memstats.
import { checkRunning } from '../left-stopped.ts';
import { run } from './children.ts';

// The classic way: all-stop attach, dump runtime.memstats minus heapStats, detach at exit.
export const CLASSIC_PY = `
import gdb
m = gdb.parse_and_eval("'runtime.memstats'")
skip = ("heapStats",)
for f in m.type.strip_typedefs().fields():
    if f.name is None or f.name in skip or f.name.startswith("_"):
        continue
    t = f.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_FLT, gdb.TYPE_CODE_BOOL):
        print("%s = %s" % (f.name, m[f.name]))
numgc = int(m["numgc"])
print("last_pause_ns = %d" % int(m["pause_ns"][(numgc + 255) % 256]))
`;

export async function classicRun(h: { pid: number }, pyFile: string): Promise<{ ok: boolean; detail: string; stdout: string }> {
  const gdb = process.env.MSTAT_GDB || 'gdb';
  // Plain all-stop batch mode (never non-stop: batch exit would leave a Go target stopped).
  const args = ['-batch', '-nx', '-iex', 'set auto-load off', '-p', String(h.pid), '-ex', 'handle SIGPIPE SIGSEGV SIGURG nostop noprint pass', '-x', pyFile];
  try {
    const r = await run(gdb, args, { ...process.env }, 60_000);
    const ok = r.code === 0 && /^numgc = \d+$/m.test(r.stdout) && /^stacks_sys = \d+$/m.test(r.stdout);
    return { ok, detail: ok ? '' : `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`, stdout: r.stdout };
  } finally {
    checkRunning(h.pid);
  }
}

export async function cliRun(h: { pid: number }, cacheDir: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await run('npx', ['tsx', 'clients/cli/mstat.ts', '--pid', String(h.pid)], { ...process.env, MSTAT_CACHE_DIR: cacheDir }, 60_000);
    let ok = r.code === 0;
    if (ok) {
      try {
        ok = typeof (JSON.parse(r.stdout) as Record<string, unknown>).HeapAlloc === 'number';
      } catch {
        ok = false;
      }
    }
    return { ok, detail: ok ? '' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  } finally {
    checkRunning(h.pid);
  }
}
