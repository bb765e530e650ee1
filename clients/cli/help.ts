// mstat's --help (laid out like a man page) and the short usage shown with a usage error.
import { LOG_LEVELS } from '../../bridge/log-levels.ts';

const SYNOPSIS = `       mstat --pid PID [--format json|text|pprof|prom] [--mode live|consistent] [--exe PATH]
       mstat --pid PID --watch [--interval DURATION] [--count N] [--mode live|consistent]
       mstat --ssh [USER@]HOST[:PORT] --pid PID [--ssh-config FILE] [--exe PATH] [...]
       mstat --core CORE --exe BIN [--format json|text|pprof|prom]
       mstat --list [--format text|json]
       any of these through a running bridge: ... --bridge ws://HOST:PORT [--token TOKEN]`;

/** Printed after a usage error, on stderr. */
export const USAGE = `usage: mstat --pid PID [OPTION]... | mstat --list [OPTION]... | mstat --help
${SYNOPSIS}
Run 'mstat --help' for the details.`;

export const HELP = `usage: mstat --pid PID [OPTION]... | mstat --list [OPTION]... | mstat --help

NAME
       mstat - the exact runtime.MemStats of a running Go program, read from outside

SYNOPSIS
${SYNOPSIS}

DESCRIPTION
       Prints the runtime.MemStats a Go process would get from runtime.ReadMemStats at this
       instant, read from outside through gdb (non-stop attach, detach afterwards): no code
       change in the target, and in live mode nothing of it is stopped. Go 1.19 to 1.27.

       Fields that depend on which P would run ReadMemStats are reported as estimated,
       with their ± bound, and a snapshot still torn after its retries is flagged; both on
       stderr. stdout carries the data only; logs go to stderr.

       --watch keeps reading and shows a live view: heap in use, idle, released and sys,
       HeapAlloc against NextGC, allocation and malloc rates, GC count and last pauses,
       objects and stacks, each with its change since the previous reading. On a terminal
       the view is redrawn in place; into a pipe or file it is one line per reading.

       --list shows the Go processes on the host, whether they can be read, and why not.

       --ssh reads a process on another host: the system ssh (your ~/.ssh/config, agent,
       keys and known_hosts; BatchMode, no password prompts) starts
       'gdbserver --once --multi' there and a tunnel to it; the local gdb attaches non-stop
       through the tunnel. The executable is fetched from the remote host unless --exe
       names a local copy (its Go build ID is checked). The remote host needs gdbserver.

       --core reads a core file (kernel dump with GOTRACEBACK=crash, or gdb's gcore) with
       the executable that produced it (--exe; the Go build ID recorded in the core is
       checked). A core is one stopped snapshot: every field as ReadMemStats would have
       returned it at the moment of the dump.

       With --bridge the reading comes from a running mstat-bridge (the same numbers, the
       same formats, the same exit statuses), which may be on another host: --pid and
       --list then refer to the bridge's host. The bridge keeps the target attached for a
       short linger after the last reader leaves.

OPTIONS
       --pid PID           the Go process to read
       --format F          json (default): one line, byte-identical to Go's
                             json.Marshal(runtime.MemStats)
                           text: "Field = value" lines, like the classic gdb mstat command
                           pprof: the "# runtime.MemStats" block of /debug/pprof/heap?debug=1
                             (# MaxRSS only when reading locally)
                           prom: the Prometheus text exposition the bridge serves on
                             /metrics, for this one target (client_golang's go_* names)
                           with --list: text (default), a table; json, one object per line
       --mode M            live (default): read while the target runs, no pause
                           consistent: stop all threads (SIGSTOP), read, resume; the pause
                             is reported
       --exe PATH          an unstripped copy of the same build (its Go build ID must
                           match), for targets built with -ldflags=-w or '-s -w'; not with
                           --bridge
       --ssh DEST          the process is on another host: [user@]host[:port] for ssh
       --ssh-config FILE   passed to every ssh invocation as -F FILE
       --core CORE         read this core file instead of a process (needs --exe)
       --watch             keep reading until Ctrl-C (or --count readings)
       --interval D        time between readings with --watch: 500ms, 1s (default), 2m,
                           or plain milliseconds; 10ms to 1h
       --count N           with --watch: stop after N readings (exit status 0)
       --list              list the Go processes (PID, Go version, attachable or why not,
                           executable)
       --bridge URL        read through the mstat-bridge at URL (ws://HOST:PORT, or a full
                           ws:// or wss:// URL; the path defaults to /v1/ws)
       --token T           the bridge's token (default: $MSTAT_TOKEN, else the bridge's
                           token file when readable: $MSTAT_TOKEN_FILE or
                           ~/.config/mstat-bridge/token); sent as an Authorization header
       --log-level L       ${LOG_LEVELS.join('|')}
                           (default warn; logs go to stderr)
       -V, --version       the package version
       -h, --help          this text

EXIT STATUS
       0      ok (--watch: --count readings done; stdout closed by its reader)
       1      the read failed, or the target exited
       2      usage: an unknown option or a bad value
       3      the target is not readable: no such process, not Go, no symbols or no DWARF
              (see --exe), unsupported Go version; a missing, truncated or corrupt core
       4      ptrace not permitted (root, CAP_SYS_PTRACE or kernel.yama.ptrace_scope=0),
              or refused by the bridge's policy
       5      gdb missing or unsupported (through a bridge: gdb failed there)
       6      --exe is another build than the one the process runs
       7      the bridge is unreachable, refused the connection (wrong or missing token),
              or the connection was lost
       8      --ssh: the host is unreachable, refused the authentication, or its host key
              is unknown; or gdbserver is missing there
       130    interrupted (SIGINT/SIGTERM): the target was detached and keeps running

       In short:
       exit status: 0 ok; 1 read failed or target exited; 2 usage; 3 target not readable
       (no such process, not Go, stripped, unsupported Go); 4 ptrace not permitted;
       5 gdb missing or unsupported; 6 build-ID mismatch with --exe; 7 bridge unreachable
       or refused; 130 interrupted (target detached).

EXAMPLES
       mstat --pid 1234                          one exact reading as Go's JSON
       mstat --pid 1234 --format text --mode consistent
       mstat --pid 1234 --format prom > memstats.prom
       mstat --pid 1234 --watch --interval 500ms
       mstat --pid 1234 --watch --count 10 > memstats.log
       mstat --ssh ops@db1 --pid 731 --format text
       mstat --ssh db1 --pid 731 --exe ./api.copy --ssh-config ~/.ssh/config.work
       mstat --core /var/crash/core.48211 --exe /srv/api/bin/api
       mstat --list
       mstat --list --bridge ws://10.0.0.5:7070 --token "$TOKEN"
       mstat --pid 1234 --bridge ws://127.0.0.1:7070 --format pprof`;
