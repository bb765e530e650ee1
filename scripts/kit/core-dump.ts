// Kernel core dumps of fixtures, for the core-file tests: small (the kernel skips untouched
// address-space reservations, unlike gdb's gcore) and written where the test says.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MEMSTATS_U64_FIELDS, type MemStats } from '../../protocol/memstats.ts';
import { GoTarget } from './go-target.ts';
import { fixture, type FixtureBuild } from './fixtures.ts';

/** core_pattern must name a plain file for the kernel to write cores into the target's cwd. */
export function corePatternProblem(): string | undefined {
  const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (pattern.startsWith('|')) return `kernel.core_pattern pipes cores to ${pattern.slice(1)}; the core tests need a file pattern such as "core"`;
  if (pattern.startsWith('/')) return `kernel.core_pattern writes cores to ${pattern}; the core tests need a relative pattern such as "core"`;
  return undefined;
}

/**
 * runtime.MemStats from its raw bytes (64-bit little-endian). The layout of the public struct
 * is Go 1 API: 24 uint64s, PauseNs[256], PauseEnd[256], NumGC, NumForcedGC (uint32),
 * GCCPUFraction (float64), EnableGC, DebugGC (bool, padded to 8), BySize[61]{Size uint32,
 * Mallocs, Frees uint64}.
 */
export function memStatsFromBytes(b: Buffer): MemStats {
  const u64 = (o: number): bigint => b.readBigUInt64LE(o);
  const m: Record<string, unknown> = {};
  MEMSTATS_U64_FIELDS.forEach((f, i) => (m[f] = u64(i * 8)));
  let o = MEMSTATS_U64_FIELDS.length * 8;
  m.PauseNs = Array.from({ length: 256 }, (_, i) => u64(o + i * 8));
  o += 256 * 8;
  m.PauseEnd = Array.from({ length: 256 }, (_, i) => u64(o + i * 8));
  o += 256 * 8;
  m.NumGC = b.readUInt32LE(o);
  m.NumForcedGC = b.readUInt32LE(o + 4);
  m.GCCPUFraction = b.readDoubleLE(o + 8);
  m.EnableGC = b[o + 16] !== 0;
  m.DebugGC = b[o + 17] !== 0;
  o += 24;
  m.BySize = Array.from({ length: 61 }, (_, i) => ({ Size: b.readUInt32LE(o + i * 24), Mallocs: u64(o + i * 24 + 8), Frees: u64(o + i * 24 + 16) }));
  if (o + 61 * 24 !== b.length) throw new Error(`MemStats is ${b.length} bytes, expected ${o + 61 * 24}`);
  return m as MemStats;
}

export interface DumpedCore {
  core: string;
  exe: string;
  pid: number;
  /** the target's own ReadMemStats, taken just before the dump */
  theirs: MemStats;
  /** bytes the core takes on disk */
  diskBytes: number;
}

/**
 * Starts `build` in `dir` with cores enabled, brings it to the quiet state, has it report
 * ReadMemStats and dump core with nothing allocated in between.
 */
export async function dumpQuietCore(dir: string, build: FixtureBuild = fixture(), prepare: (go: GoTarget) => Promise<void> = async () => undefined): Promise<DumpedCore> {
  const go = await GoTarget.start(build, ['-heartbeat', '0'], { GOTRACEBACK: 'crash' }, { cwd: dir });
  try {
    execFileSync('prlimit', ['--core=unlimited', `--pid=${go.pid}`]);
    await prepare(go);
    const e = await go.command('crash', 15_000);
    const theirs = memStatsFromBytes(Buffer.from(String(e.memstatsHex), 'hex'));
    const exit = await go.exit;
    if (exit.signal !== 'SIGABRT') throw new Error(`the fixture ended with ${exit.signal ?? exit.code}, not SIGABRT`);
    const core = join(dir, 'core');
    if (!existsSync(core)) throw new Error(`no core written in ${dir} (core_pattern, ulimit -c?)`);
    return { core, exe: build.path, pid: go.pid, theirs, diskBytes: statSync(core).blocks * 512 };
  } finally {
    await go.stop();
  }
}
