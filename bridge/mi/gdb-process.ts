// Spawning gdb: the only place that knows the command line and how a gdb process is reaped.
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { MiError, MiErrorCode } from './errors.ts';
import { MIN_GDB, parseGdbVersion, versionAtLeast, type GdbVersion } from './version.ts';

export interface GdbSpawnOptions {
  /** gdb executable; default `$MSTAT_GDB` or `gdb` on PATH. */
  gdbPath?: string | undefined;
  /** Extra command-line arguments, placed before the MI flags' end (e.g. `--readnever`). */
  extraArgs?: readonly string[] | undefined;
}

export type GdbSubprocess = ResultPromise<{
  stdin: 'pipe';
  stdout: 'pipe';
  stderr: 'pipe';
  buffer: false;
  reject: false;
  cleanup: true;
  encoding: 'utf8';
}>;

export function resolveGdbPath(opt?: string): string {
  return opt ?? process.env.MSTAT_GDB ?? 'gdb';
}

/** Runs `gdb --version`; a missing or too old gdb is a coded error with the fix in it. */
export async function checkGdb(gdbPath: string): Promise<GdbVersion> {
  let out: string;
  try {
    const r = await execa(gdbPath, ['--version'], { timeout: 10_000, stdin: 'ignore' });
    out = r.stdout;
  } catch (err) {
    throw new MiError(
      MiErrorCode.GDB_MISSING,
      `gdb not found or not runnable ('${gdbPath} --version' failed); install it (Debian: apt-get install gdb) or set MSTAT_GDB to its path`,
      { cause: err },
    );
  }
  const v = parseGdbVersion(out);
  if (!v) throw new MiError(MiErrorCode.GDB_UNSUPPORTED, `'${gdbPath}' does not look like GNU gdb: ${out.split('\n', 1)[0]}`);
  if (!versionAtLeast(v, MIN_GDB.major, MIN_GDB.minor)) {
    throw new MiError(MiErrorCode.GDB_UNSUPPORTED, `gdb ${v.major}.${v.minor} is too old; mstat-bridge needs gdb >= ${MIN_GDB.major}.${MIN_GDB.minor}`);
  }
  return v;
}

/**
 * Starts `gdb --interpreter=mi2 -nx -q`. Guards that keep gdb from outliving us, or from
 * dying half-way through a detach when we are gone:
 * - execa's `cleanup`: SIGTERM on our exit (normal, uncaught error, or signal);
 * - a parent-death signal (setpriv --pdeathsig TERM) for when we are SIGKILLed;
 * - gdb quits, detaching, on stdin EOF;
 * - SIGPIPE ignored: once we are dead, gdb's writes to stdout fail instead of killing it
 *   in the middle of detaching, which would leave the target stopped;
 * - its own process group (setsid), so a terminal's Ctrl-C reaches us, not gdb.
 * SIGTERM is the signal gdb answers by detaching cleanly.
 */
export function spawnGdb(gdbPath: string, opts: GdbSpawnOptions = {}): GdbSubprocess {
  const gdbArgs = ['--interpreter=mi2', '-nx', '-q', '-iex', 'set auto-load off', ...(opts.extraArgs ?? [])];
  const setpriv = '/usr/bin/setpriv';
  const command = existsSync(setpriv) ? [setpriv, '--pdeathsig', 'TERM', '--', gdbPath, ...gdbArgs] : [gdbPath, ...gdbArgs];
  // An ignored signal stays ignored across exec; a shell is the portable way to set that.
  return execa('/bin/sh', ['-c', 'trap "" PIPE; exec "$@"', 'mstat-gdb', ...command], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    encoding: 'utf8',
    detached: true,
    env: { LC_ALL: 'C.UTF-8', TERM: 'dumb' },
    extendEnv: true,
  });
}
