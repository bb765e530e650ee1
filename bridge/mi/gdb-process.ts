// Spawning gdb: the only place that knows the command line and how a gdb process is reaped.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { cacheDir } from '../cache-dir.ts';
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
  const identity = fileIdentity(gdbPath);
  try {
    out = (identity && knownVersionOutput(identity)) ?? (await execa(gdbPath, ['--version'], { timeout: 10_000, stdin: 'ignore' })).stdout;
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
  if (identity) rememberVersionOutput(identity, out);
  return v;
}

// `gdb --version` costs 80-110 ms, as much as the rest of a one-shot's gdb startup: its
// output is remembered per gdb file (real path, inode, size, mtime), in this process and in
// the cache directory, and asked again whenever the file changes.
const knownVersions = new Map<string, string>();
const versionCacheFile = (): string => join(cacheDir(), 'gdb-version.json');

function fileIdentity(gdbPath: string): string | undefined {
  try {
    const dirs = gdbPath.includes('/') ? [''] : (process.env.PATH ?? '').split(':').filter(Boolean);
    for (const d of dirs) {
      const p = d === '' ? gdbPath : join(d, gdbPath);
      if (!existsSync(p)) continue;
      const real = realpathSync(p);
      const st = statSync(real);
      if (!st.isFile()) continue;
      return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
    }
  } catch {
    /* not identifiable: always ask gdb */
  }
  return undefined;
}

function knownVersionOutput(identity: string): string | undefined {
  const inMemory = knownVersions.get(identity);
  if (inMemory !== undefined) return inMemory;
  try {
    const onDisk = (JSON.parse(readFileSync(versionCacheFile(), 'utf8')) as Record<string, unknown>)[identity];
    return typeof onDisk === 'string' ? onDisk : undefined;
  } catch {
    return undefined;
  }
}

function rememberVersionOutput(identity: string, out: string): void {
  if (knownVersions.get(identity) === out) return;
  knownVersions.set(identity, out);
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    const tmp = `${versionCacheFile()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ [identity]: out }) + '\n', { mode: 0o600 });
    renameSync(tmp, versionCacheFile());
  } catch {
    /* a read-only cache only costs the check next time */
  }
}

/**
 * The supervisor shell gdb runs under. It outlives gdb by design: when gdb is gone (however
 * it went: our exit, our SIGKILL, its own crash), it SIGCONTs every process listed in
 * $MSTAT_WATCH (the targets we were attached to and had not cleanly detached from) that is
 * found in group-stop (State T) with no tracer, watching for half a second because the kernel
 * detaches threads one by one. Also: SIGPIPE is ignored (inherited by gdb, so a gdb whose
 * reader is gone finishes its detach instead of dying halfway); gdb's stdin is ours, so our
 * death is its EOF, on which it detaches and quits. SIGTERM to the shell (our exit, or our
 * death through its parent-death signal) is passed to gdb, which detaches and quits, and
 * 3 s later a gdb still there (wedged: one hung in an attach answers neither EOF nor
 * SIGTERM) is killed, which detaches too; SIGHUP waits for gdb.
 * Core dumps are off: a gdb crash must not drop a 50 MB file into the user's directory.
 */
const SUPERVISOR = `
ulimit -c 0 2>/dev/null
trap "" PIPE
trap ":" HUP
gdb=
stop_gdb() {
  [ -n "$gdb" ] || return 0
  kill -TERM "$gdb" 2>/dev/null
  # Only while it is still our child: a reaped gdb's pid may be reused.
  ( sleep 3; set -- $(cat "/proc/$gdb/stat" 2>/dev/null); [ "$4" = "$$" ] && kill -KILL "$gdb" ) &
}
trap stop_gdb TERM
exec 3<&0
"$@" <&3 3<&- &
gdb=$!
exec 3<&- </dev/null
printf 'mstat-gdb-pid %s\\n' "$gdb" >&2
while :; do wait "$gdb"; rc=$?; kill -0 "$gdb" 2>/dev/null || break; done
exec >/dev/null 2>&1
if [ -s "$MSTAT_WATCH" ]; then
  i=0
  while [ "$i" -lt 10 ]; do
    for p in $(cat "$MSTAT_WATCH"); do
      [ -r "/proc/$p/status" ] || continue
      grep -q '^TracerPid:[[:space:]]*0$' "/proc/$p/status" || continue
      for t in /proc/$p/task/*/status; do
        if grep -q '^State:[[:space:]]*T' "$t"; then kill -CONT "$p"; break; fi
      done
    done
    sleep 0.05
    i=$((i + 1))
  done
fi
rm -f "$MSTAT_WATCH"
exit "$rc"
`;

/** Marker line the supervisor prints on stderr with gdb's own pid. */
export const GDB_PID_MARKER = /^mstat-gdb-pid (\d+)$/m;

/**
 * Starts `gdb --interpreter=mi2 -nx -q` under the supervisor above, in its own process group
 * (a terminal's Ctrl-C reaches us, not gdb). Further guards against an orphan gdb: execa's
 * `cleanup`, parent-death signals (setpriv --pdeathsig TERM) on the supervisor (our death,
 * however we die) and on gdb (the supervisor's), and stdin EOF.
 */
export function spawnGdb(gdbPath: string, watchFile: string, opts: GdbSpawnOptions = {}): GdbSubprocess {
  const gdbArgs = ['--interpreter=mi2', '-nx', '-q', '-iex', 'set auto-load off', ...(opts.extraArgs ?? [])];
  const setpriv = '/usr/bin/setpriv';
  const pdeath = existsSync(setpriv) ? [setpriv, '--pdeathsig', 'TERM', '--'] : [];
  const command = [...pdeath, gdbPath, ...gdbArgs];
  const [shell, ...shellArgs] = [...pdeath, '/bin/sh', '-c', SUPERVISOR, 'mstat-gdb', ...command];
  return execa(shell!, shellArgs, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    encoding: 'utf8',
    detached: true,
    env: { LC_ALL: 'C.UTF-8', TERM: 'dumb', MSTAT_WATCH: watchFile },
    extendEnv: true,
  });
}

/** The parent pid of `pid` from /proc, or undefined when it is gone (or a zombie). */
export function parentPid(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' ? stat.ppid : undefined;
}

/**
 * Every live descendant of `pid` (children of gdb: `shell` commands and their children), a
 * snapshot from /proc. Taken before gdb is killed: once it is gone they are re-parented and
 * can no longer be told apart.
 */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    const stat = readStat(Number(e));
    if (!stat || stat.state === 'Z') continue;
    const list = children.get(stat.ppid);
    if (list) list.push(Number(e));
    else children.set(stat.ppid, [Number(e)]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function readStat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  return rest[0] && Number.isSafeInteger(ppid) ? { state: rest[0], ppid } : undefined;
}
