// mstat: one exact runtime.MemStats reading of a running Go process, from the outside.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatMemStatsJson, formatMemStatsPprof, formatMemStatsText } from '../clients/shared/memstats-format.ts';
import { isBridgeError } from '../bridge/errors.ts';
import { LocalTarget, type Sample } from '../bridge/go/target.ts';
import { createRootLogger, LOG_LEVELS, type LogLevel } from '../bridge/log.ts';

const USAGE = `usage: mstat --pid PID [--format json|text|pprof] [--mode live|consistent] [--exe PATH]
             [--log-level LEVEL]
       mstat --help

Prints the runtime.MemStats a Go process would get from runtime.ReadMemStats at this
instant, read from outside through gdb (no code change in the target).

  --pid PID        the Go process to read
  --format F       json (default): one line, byte-identical to Go's json.Marshal(MemStats)
                   text: "Field = value" lines, like the classic gdb mstat command
                   pprof: the "# runtime.MemStats" block of /debug/pprof/heap?debug=1
  --mode M         live (default): read while the target runs, no pause
                   consistent: stop all threads (SIGSTOP), read, resume; pause reported
  --exe PATH       an unstripped copy of the same build (its Go build ID must match),
                   for targets built with -ldflags=-w or '-s -w'
  --log-level L    ${LOG_LEVELS.join('|')} (default warn; logs go to stderr)

Estimated fields and torn snapshots are reported on stderr; stdout has the data only.

exit status: 0 ok; 1 read failed or target exited; 2 usage; 3 target not readable
(no such process, not Go, stripped, unsupported Go); 4 ptrace not permitted;
5 gdb missing or unsupported; 6 build-ID mismatch with --exe; 130 interrupted (target detached)`;

const EXIT: Record<string, number> = {
  GO_ERR_NO_SUCH_PROCESS: 3, GO_ERR_NOT_GO: 3, GO_ERR_NO_DWARF: 3, GO_ERR_NO_SYMBOLS: 3, GO_ERR_UNSUPPORTED_VERSION: 3,
  GO_ERR_NOT_ELF: 3, GO_ERR_UNREADABLE: 3, GO_ERR_PTRACE_DENIED: 4, MI_ERR_GDB_MISSING: 5, MI_ERR_GDB_UNSUPPORTED: 5,
  GO_ERR_BUILD_ID_MISMATCH: 6,
};

function fail(code: number, message: string): never {
  process.stderr.write(`mstat: ${message}\n`);
  process.exit(code);
}

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      pid: { type: 'string' },
      format: { type: 'string', default: 'json' },
      mode: { type: 'string', default: 'live' },
      exe: { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}
try {
  values = parse().values;
} catch (err) {
  fail(2, `${(err as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
if (values.pid === undefined || !/^[1-9][0-9]*$/.test(values.pid)) fail(2, `--pid PID is required (a positive integer)\n${USAGE}`);
const format = values.format;
if (format !== 'json' && format !== 'text' && format !== 'pprof') fail(2, `--format must be json, text or pprof (got '${format}')`);
const mode = values.mode;
if (mode !== 'live' && mode !== 'consistent') fail(2, `--mode must be live or consistent (got '${mode}')`);
const level = values['log-level'] as LogLevel;
if (!(LOG_LEVELS as readonly string[]).includes(level)) fail(2, `--log-level must be one of ${LOG_LEVELS.join(', ')}`);

const pid = Number(values.pid);
const log = createRootLogger({ level, name: 'mstat', destination: 'stderr' });

function maxRss(): bigint | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : BigInt(kb) * 1024n;
  } catch {
    return undefined;
  }
}

function report(s: Sample): void {
  for (const [field, q] of Object.entries(s.estimated)) {
    process.stderr.write(`mstat: ${field} is estimated (±${q.bound} bytes): ${q.reason}\n`);
  }
  if (s.meta.torn.length > 0) {
    process.stderr.write(`mstat: warning: snapshot still torn after ${s.meta.attempts} attempts (${s.meta.torn.join('; ')}); try --mode consistent\n`);
  }
  if (mode === 'consistent') process.stderr.write(`mstat: target paused for ${(Number(s.meta.pauseNs) / 1e6).toFixed(2)} ms\n`);
}

// Ctrl-C/SIGTERM at any point (even mid-attach or while the target is stopped) detaches
// first: the handler waits for the attach to finish, lets close() resume and check the
// target, and only then exits 130. Further signals are ignored until that is done.
let opening: Promise<LocalTarget> | undefined;
let interrupted = false;
const onSignal = (): void => {
  if (interrupted) return;
  interrupted = true;
  void (async () => {
    const t = await opening?.catch(() => undefined);
    await t?.close().catch(() => undefined);
    process.exit(130);
  })();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  opening = LocalTarget.open({ pid, exe: values.exe, log });
  const target = await opening;
  const sample = await target.sample(mode);
  const rss = format === 'pprof' ? maxRss() : undefined;
  await target.close();
  if (interrupted) await new Promise(() => undefined); // the signal handler exits
  const out = format === 'json' ? formatMemStatsJson(sample.memstats) + '\n' : format === 'text' ? formatMemStatsText(sample.memstats) : formatMemStatsPprof(sample.memstats, rss);
  process.stdout.write(out);
  report(sample);
} catch (err) {
  if (interrupted) await new Promise(() => undefined); // the signal handler detaches and exits
  const t = await opening?.catch(() => undefined);
  await t?.close().catch(() => undefined);
  if (isBridgeError(err)) fail(EXIT[err.code] ?? 1, err.message);
  fail(1, err instanceof Error ? err.message : String(err));
}
