// Spawning gdb: the only place that knows the command line and the supervisor gdb runs under.
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';

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
 * Once gdb is gone, whatever is left in our process group is SIGKILLed: gdb's own forks. Right
 * after an attach gdb probes ptrace's features in a forked copy of itself that stops itself
 * (SIGSTOP) until gdb looks at it; a gdb killed in that instant leaves the copy stopped and
 * orphaned, holding the target's /proc mem file and our pipes (seen in tests). pgrep reads
 * /proc in C; the shell loop, 50x slower, is for systems without procps.
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
group_members() {
  for s in /proc/[0-9]*/stat; do
    IFS= read -r st < "$s" 2>/dev/null || continue
    set -- \${st##*) }
    [ "$3" = "$$" ] && p=\${s#/proc/} && echo "\${p%/stat}"
  done
}
for p in $(pgrep -g "$$" 2>/dev/null || group_members); do
  [ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null
done
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
