// Bridge configuration from flags and environment (flag > env > default), validated once
// into a frozen Config. Every option has both; OPTIONS is the one list --help is made from.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './log-levels.ts';
import { ConfigSchema, isLoopback, type Config } from './config-schema.ts';

interface OptionSpec {
  /** the flag without its leading `--` */
  flag: string;
  /** the environment variable read when the flag is absent */
  env: string;
  /** the value's placeholder; absent for a switch */
  arg?: string;
  help: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { flag: 'listen', env: 'MSTAT_LISTEN', arg: 'HOST:PORT', help: 'address to bind (default 127.0.0.1:7070); clients need the token wherever it binds, unless --no-auth (loopback only)' },
  { flag: 'allow-hosts', env: 'MSTAT_ALLOW_HOSTS', arg: 'NAMES', help: 'host names clients may use to reach the bridge (Host header), besides IP addresses, localhost and the --listen host; other names get 421 (DNS rebinding)' },
  { flag: 'token', env: 'MSTAT_TOKEN', arg: 'TOKEN', help: 'required from clients (Authorization: Bearer, or ?token= for browsers) and on /metrics; at least 8 characters. Default: the token file' },
  { flag: 'token-file', env: 'MSTAT_TOKEN_FILE', arg: 'FILE', help: 'where the token is kept, made at first start (mode 0600; default $XDG_CONFIG_HOME/mstat-bridge/token or ~/.config/mstat-bridge/token); mstat --bridge reads it too' },
  { flag: 'no-auth', env: 'MSTAT_NO_AUTH', help: 'no token at all: every local user may read what this bridge can (loopback only; env: 1/true/yes)' },
  { flag: 'scrape-attach', env: 'MSTAT_SCRAPE_ATTACH', arg: 'PID[=EXE]|/PATH,…', help: 'comma-separated targets kept attached for /metrics scraping: a PID (PID=EXE gives an unstripped copy of a stripped target\'s executable, same Go build ID; one that cannot be read is retried and shown as down), or the absolute path of a program\'s executable: every process running it, found again after it restarts' },
  { flag: 'scrape-interval', env: 'MSTAT_SCRAPE_INTERVAL', arg: 'MS', help: 'sampling interval of scrape-attached targets (default 5000)' },
  { flag: 'allow-pids', env: 'MSTAT_ALLOW_PIDS', arg: 'PIDS', help: 'only these local PIDs may be read (comma-separated)' },
  { flag: 'allow-exes', env: 'MSTAT_ALLOW_EXES', arg: 'PATHS', help: 'only local processes running one of these executables may be read (comma-separated; symlinks resolved)' },
  { flag: 'same-uid', env: 'MSTAT_SAME_UID', help: "only local processes (and core files) of the bridge's own uid may be read (env: 1/true/yes or 0/false/no)" },
  { flag: 'max-subscriptions', env: 'MSTAT_MAX_SUBSCRIPTIONS', arg: 'N', help: 'subscriptions one connection may hold (default 64)' },
  { flag: 'max-connections', env: 'MSTAT_MAX_CONNECTIONS', arg: 'N', help: 'WebSocket connections in all (default 256); more are closed with TOO_MANY_CONNECTIONS' },
  { flag: 'max-connections-per-address', env: 'MSTAT_MAX_CONNECTIONS_PER_ADDRESS', arg: 'N', help: 'WebSocket connections from one client address (default 32)' },
  { flag: 'max-targets', env: 'MSTAT_MAX_TARGETS', arg: 'N', help: 'targets read at once, one gdb each (default 32); a subscription to one more gets TOO_MANY_TARGETS' },
  { flag: 'max-frames-per-second', env: 'MSTAT_MAX_FRAMES_PER_SECOND', arg: 'N', help: 'frames one connection may send per second, bursts of twice that (default 50); the excess gets RATE_LIMITED and is dropped unread' },
  { flag: 'max-lists-per-minute', env: 'MSTAT_MAX_LISTS_PER_MINUTE', arg: 'N', help: 'list-targets requests per connection per minute, bursts of 5 (default 30)' },
  { flag: 'max-buffered-bytes', env: 'MSTAT_MAX_BUFFERED_BYTES', arg: 'BYTES', help: 'unsent bytes above which a client gets samples dropped, latest wins (default 1048576); 4x this closes its connection' },
  { flag: 'linger', env: 'MSTAT_LINGER', arg: 'MS', help: 'how long a target stays attached after its last subscriber left (default 2000)' },
  { flag: 'heartbeat', env: 'MSTAT_HEARTBEAT', arg: 'MS', help: 'ping interval; a client that misses a round is dropped (default 15000)' },
  { flag: 'ssh-config', env: 'MSTAT_SSH_CONFIG', arg: 'FILE', help: 'ssh client config for remote targets ({"ssh":"host","pid":N}); default: ~/.ssh/config' },
  { flag: 'ssh-program', env: 'MSTAT_SSH', arg: 'PATH', help: 'the ssh client to run (default: ssh on PATH)' },
  { flag: 'gdb', env: 'MSTAT_GDB', arg: 'PATH', help: 'the gdb to run (default: gdb on PATH)' },
  { flag: 'gdb-recycle-mib', env: 'MSTAT_GDB_RECYCLE_MIB', arg: 'MIB', help: "a target's gdb whose memory (RSS) has grown by this much since its first sample is replaced by a fresh one between two samples (default 128; 0: never)" },
  { flag: 'gdb-recycle-samples', env: 'MSTAT_GDB_RECYCLE_SAMPLES', arg: 'N', help: "a target's gdb is replaced by a fresh one after this many samples (default 0: never)" },
  { flag: 'cache-dir', env: 'MSTAT_CACHE_DIR', arg: 'DIR', help: 'where decoder layouts are cached (default $XDG_CACHE_HOME/mstat-bridge or ~/.cache/mstat-bridge)' },
  { flag: 'log-level', env: 'MSTAT_LOG_LEVEL', arg: 'LEVEL', help: `${LOG_LEVELS.join('|')} (default info)` },
];

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

const COL = 26;
const optionHelp = OPTIONS.map((o) => {
  const head = `  --${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
  // The variable's name never breaks away from its "env" (U+00A0 until wrapped).
  const body = wrap(`${o.help}; env\u00a0${o.env}`, 92 - COL).map((l) => l.replace('\u00a0', ' '));
  const first = head.length < COL ? head.padEnd(COL) + body[0] : `${head}\n${' '.repeat(COL)}${body[0]}`;
  return [first, ...body.slice(1).map((l) => ' '.repeat(COL) + l)].join('\n');
}).join('\n');

export const USAGE = `usage: mstat-bridge [options]

Serves exact Go runtime.MemStats of local processes (over ssh, remote ones; and core
files), read from outside through gdb: the live dashboard at /, WebSocket /v1/ws,
Prometheus /metrics, /healthz. Every option can also be set by its environment variable;
a flag wins over the variable.

${optionHelp}
  --version, -V           the package version
  --help, -h              this text`;

/** A value and where it came from (`--flag` or `ENV_VAR`), for error messages. */
interface Raw {
  value: string;
  source: string;
}

const bad = (r: Raw, what: string): TypeError => new TypeError(`${r.source} must be ${what} (got '${r.value}')`);

function integer(r: Raw, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(r.value.trim())) throw bad(r, `an integer from ${min} to ${max}`);
  const n = Number(r.value.trim());
  if (n < min || n > max) throw bad(r, `an integer from ${min} to ${max}`);
  return n;
}

function pidList(r: Raw): number[] {
  if (!/^\s*\d{1,10}(\s*,\s*\d{1,10})*\s*$/.test(r.value)) throw bad(r, 'a comma-separated list of PIDs');
  const pids = r.value.split(',').map((x) => Number(x.trim()));
  if (pids.some((p) => p < 1 || p > 0x3fffffff)) throw bad(r, 'a comma-separated list of PIDs');
  return pids;
}

/** `PID[=EXE]` or `/PATH`, comma-separated: each EXE an existing file, made absolute; a PATH absolute and normal. */
function scrapeList(r: Raw): Array<{ pid: number; exe?: string } | { program: string }> {
  const out: Array<{ pid: number; exe?: string } | { program: string }> = [];
  for (const part of r.value.split(',')) {
    const path = part.trim();
    if (path.startsWith('/')) {
      // A program need not run (or exist) yet: a bridge may start before the service it watches.
      // eslint-disable-next-line no-control-regex
      if (normalize(path) !== path || path.endsWith('/') || /[\u0000-\u001f\u007f]/.test(path)) throw bad(r, 'an absolute program path (a file, not a directory) without . or .. parts, repeated slashes or control characters');
      out.push({ program: path });
      continue;
    }
    const m = /^\s*(\d{1,10})\s*(?:=(.+))?$/.exec(part);
    const pid = m ? Number(m[1]) : 0;
    if (!m || pid < 1 || pid > 0x3fffffff) throw bad(r, 'a comma-separated list of PID, PID=EXECUTABLE or /ABSOLUTE/PATH/OF/A/PROGRAM');
    if (m[2] === undefined) {
      out.push({ pid });
      continue;
    }
    const exe = resolve(m[2].trim());
    try {
      if (!statSync(exe).isFile()) throw new Error('not a file');
      accessSync(exe, constants.R_OK);
    } catch {
      throw new TypeError(`${r.source}: ${m[2].trim()} (for PID ${pid}): not a readable file`);
    }
    out.push({ pid, exe });
  }
  return out;
}

/** Host names, comma-separated: letters, digits, dots and dashes. */
function hostList(r: Raw): string[] {
  const names = r.value.split(',').map((x) => x.trim().toLowerCase());
  if (names.some((n) => !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(n))) throw bad(r, 'a comma-separated list of host names');
  return names;
}

/** Executables by real path (how /proc/PID/exe names them); each must exist now. */
function exeList(r: Raw): string[] {
  const parts = r.value.split(',').map((x) => x.trim());
  if (parts.some((p) => p === '')) throw bad(r, 'a comma-separated list of executable paths');
  return parts.map((p) => {
    let real: string;
    try {
      real = realpathSync(resolve(p));
    } catch {
      throw new TypeError(`${r.source}: ${p}: no such file`);
    }
    if (!statSync(real).isFile()) throw new TypeError(`${r.source}: ${p}: not a regular file`);
    return real;
  });
}

function boolean(r: Raw): boolean {
  const v = r.value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw bad(r, '1/true/yes/on or 0/false/no/off');
}

function listen(r: Raw): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(r.value.trim());
  if (!m || Number(m[2]) > 65535) throw bad(r, 'HOST:PORT');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The ssh config file as an absolute path; a missing file is a usage error, not a later ssh failure. */
function readableFile(r: Raw): string {
  const abs = resolve(r.value);
  try {
    if (!statSync(abs).isFile()) throw new Error('not a file');
    accessSync(abs, constants.R_OK);
  } catch {
    throw new TypeError(`${r.source} ${r.value}: not a readable file`);
  }
  return abs;
}

/** A program: a bare name is looked up on PATH when run; a path must be an executable file now. */
function program(r: Raw): string {
  const v = r.value;
  if (!v.includes('/')) {
    if (!/^[A-Za-z0-9._+-]+$/.test(v) || v.startsWith('-')) throw bad(r, 'a program name or path');
    return v;
  }
  const abs = resolve(v);
  try {
    if (!statSync(abs).isFile()) throw new Error('not a file');
    accessSync(abs, constants.X_OK);
  } catch {
    throw new TypeError(`${r.source} ${v}: not an executable file`);
  }
  return abs;
}

/** A directory that exists, or that the layout cache will create. */
function directory(r: Raw): string {
  const abs = resolve(r.value);
  let st;
  try {
    st = statSync(abs);
  } catch {
    return abs;
  }
  if (!st.isDirectory()) throw new TypeError(`${r.source} ${r.value}: not a directory`);
  return abs;
}

/** The first line of node's parseArgs errors, without its advice about positionals. */
function argvError(err: unknown): TypeError {
  const msg = (err as Error).message.split('\n', 1)[0]!.replace(/\. To specify a positional argument.*$/, '');
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(msg);
  return new TypeError(ambiguous ? `${ambiguous[1]}: a value starting with '-' must be written ${ambiguous[1]}=VALUE` : msg);
}

/**
 * Parses argv + env (flag > env > default). Throws TypeError with a one-line message naming
 * the flag or variable on bad input; `--help` → undefined.
 */
/** `--version`/`-V` or `--help`/`-h` anywhere in argv (the first wins): what to print instead of running. */
export function infoRequest(argv: string[]): 'help' | 'version' | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--version' || a === '-V') return 'version';
  }
  return undefined;
}

export function configFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Config | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.arg ? ('string' as const) : ('boolean' as const) }])),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw argvError(err);
  }
  if (values.help || values.version) return undefined;

  /** The flag's value, else the variable's (an empty variable counts as unset). */
  const raw = (flag: string): Raw | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const v = values[flag];
    if (typeof v === 'string') return { value: v, source: `--${flag}` };
    const e = env[spec.env];
    return e === undefined || e === '' ? undefined : { value: e, source: spec.env };
  };
  const opt = <T>(flag: string, parse: (r: Raw) => T): T | undefined => {
    const r = raw(flag);
    return r === undefined ? undefined : parse(r);
  };

  const { host, port } = opt('listen', listen) ?? { host: '127.0.0.1', port: 7070 };
  const token = opt('token', (r) => {
    if (r.value.length < 8) throw new TypeError(`${r.source}: a token needs at least 8 characters`);
    return r.value;
  });
  const logLevel = opt('log-level', (r) => {
    if (!(LOG_LEVELS as readonly string[]).includes(r.value)) throw bad(r, `one of ${LOG_LEVELS.join(', ')}`);
    return r.value as (typeof LOG_LEVELS)[number];
  });
  const input: z.input<typeof ConfigSchema> = {
    host,
    port,
    token,
    tokenFile: opt('token-file', (r) => resolve(r.value)),
    noAuth: values['no-auth'] === true ? true : (opt('no-auth', boolean) ?? false),
    allowHosts: opt('allow-hosts', hostList) ?? [],
    scrapeAttach: opt('scrape-attach', scrapeList) ?? [],
    scrapeIntervalMs: opt('scrape-interval', (r) => integer(r, 10, 3_600_000)),
    allowPids: opt('allow-pids', pidList),
    allowExes: opt('allow-exes', exeList),
    sameUid: values['same-uid'] === true ? true : (opt('same-uid', boolean) ?? false),
    sshConfig: opt('ssh-config', readableFile),
    sshProgram: opt('ssh-program', program),
    gdbPath: opt('gdb', program),
    gdbRecycleMiB: opt('gdb-recycle-mib', (r) => integer(r, 0, 1_000_000)),
    gdbRecycleSamples: opt('gdb-recycle-samples', (r) => integer(r, 0, 1_000_000_000)),
    cacheDir: opt('cache-dir', directory),
    logLevel,
    maxSubscriptions: opt('max-subscriptions', (r) => integer(r, 1, 100_000)),
    maxConnections: opt('max-connections', (r) => integer(r, 1, 100_000)),
    maxConnectionsPerAddress: opt('max-connections-per-address', (r) => integer(r, 1, 100_000)),
    maxTargets: opt('max-targets', (r) => integer(r, 1, 10_000)),
    maxFramesPerSecond: opt('max-frames-per-second', (r) => integer(r, 1, 100_000)),
    maxListsPerMinute: opt('max-lists-per-minute', (r) => integer(r, 1, 100_000)),
    maxBufferedBytes: opt('max-buffered-bytes', (r) => integer(r, 1024, 1 << 30)),
    lingerMs: opt('linger', (r) => integer(r, 0, 3_600_000)),
    heartbeatMs: opt('heartbeat', (r) => integer(r, 100, 3_600_000)),
  };
  const r = ConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TypeError(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return Object.freeze(r.data);
}

