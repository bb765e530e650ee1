// mstat's command line → one typed command, or a UsageError. Nothing is touched here: a bad
// combination is refused before any target, gdb or bridge is.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SshDestinationSchema } from '../../protocol/target.ts';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../../protocol/client-messages.ts';
import { parseDuration } from '../shared/duration.ts';
import { LOG_LEVELS, type LogLevel } from '../../bridge/log-levels.ts';

export type ReadFormat = 'json' | 'text' | 'pprof' | 'prom';
export type Mode = 'live' | 'consistent';

/**
 * What to read: a process on this host (or on the bridge's host with --bridge), a process on
 * another host over ssh, or a core file.
 */
export type TargetSpec =
  | { kind: 'pid'; pid: number; exe: string | undefined }
  | { kind: 'ssh'; ssh: string; pid: number; exe: string | undefined; sshConfig: string | undefined }
  | { kind: 'core'; core: string; exe: string };

/** Where readings come from: this host through gdb, or a bridge. */
export type Via = { kind: 'local' } | { kind: 'bridge'; url: string; token: string | undefined };

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'read'; target: TargetSpec; format: ReadFormat; mode: Mode; via: Via; logLevel: LogLevel }
  | { kind: 'watch'; target: TargetSpec; mode: Mode; intervalMs: number; count: number | undefined; via: Via; logLevel: LogLevel }
  | { kind: 'list'; format: 'text' | 'json'; via: Via; logLevel: LogLevel };

export class UsageError extends Error {
  /** whether the short usage should follow the message */
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const DEFAULT_INTERVAL_MS = 1000;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      pid: { type: 'string' },
      format: { type: 'string' },
      mode: { type: 'string' },
      exe: { type: 'string' },
      core: { type: 'string' },
      ssh: { type: 'string' },
      'ssh-config': { type: 'string' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
      count: { type: 'string' },
      list: { type: 'boolean' },
      bridge: { type: 'string' },
      token: { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

function bridgeUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--bridge must be a URL like ws://127.0.0.1:7070 (got '${text}')`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(u.protocol)) throw new UsageError(`--bridge must be a ws:// or wss:// URL (got '${text}')`);
  return text;
}

/** Parses argv (without node and the script). `env` supplies MSTAT_TOKEN. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv = {}): Command {
  let v: ReturnType<typeof parse>;
  try {
    v = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message, true);
  }
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };

  const logLevel = v['log-level'] as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  if (v.token !== undefined && v.bridge === undefined) throw new UsageError('--token goes with --bridge');
  const via: Via = v.bridge === undefined ? { kind: 'local' } : { kind: 'bridge', url: bridgeUrl(v.bridge), token: v.token ?? (env.MSTAT_TOKEN || undefined) };
  if (via.kind === 'bridge' && v.exe !== undefined && v.core === undefined) throw new UsageError('--exe cannot be used with --bridge (the bridge reads the target on its own host)');

  if (v['ssh-config'] !== undefined && v.ssh === undefined) throw new UsageError('--ssh-config goes with --ssh');
  if (v.ssh !== undefined) {
    if (via.kind === 'bridge') throw new UsageError('--ssh cannot be used with --bridge (subscribe to the remote target through the bridge instead)');
    if (!SshDestinationSchema.safeParse(v.ssh).success) throw new UsageError(`--ssh must be [user@]host[:port] (got '${v.ssh}')`);
  }
  if (v.core !== undefined) {
    for (const o of ['pid', 'ssh', 'interval', 'count', 'list'] as const) if (v[o] !== undefined) throw new UsageError(`--core takes no --${o}`);
    if (v.watch) throw new UsageError('--core takes no --watch (a core does not change)');
    if (v.exe === undefined) throw new UsageError('--core needs --exe: the executable that produced the core (with symbols and DWARF)');
    const format = v.format ?? 'json';
    if (format !== 'json' && format !== 'text' && format !== 'pprof' && format !== 'prom') throw new UsageError(`--format must be json, text or pprof, or prom (got '${format}')`);
    const mode = v.mode ?? 'consistent';
    if (mode !== 'live' && mode !== 'consistent') throw new UsageError(`--mode must be live or consistent (got '${mode}')`);
    return { kind: 'read', target: { kind: 'core', core: resolve(v.core), exe: resolve(v.exe) }, format, mode, via, logLevel };
  }

  if (v.list) {
    for (const o of ['pid', 'mode', 'exe', 'interval', 'count'] as const) if (v[o] !== undefined) throw new UsageError(`--list takes no --${o}`);
    if (v.watch) throw new UsageError('--list takes no --watch');
    const format = v.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format with --list must be text or json (got '${format}')`);
    return { kind: 'list', format, via, logLevel };
  }

  if (v.pid === undefined || !/^[1-9][0-9]*$/.test(v.pid)) throw new UsageError('--pid PID is required (a positive integer), or --list', true);
  const pid = Number(v.pid);
  const target: TargetSpec = v.ssh !== undefined
    ? { kind: 'ssh', ssh: v.ssh, pid, exe: v.exe === undefined ? undefined : resolve(v.exe), sshConfig: v['ssh-config'] }
    : { kind: 'pid', pid, exe: v.exe === undefined ? undefined : resolve(v.exe) };
  const mode = v.mode ?? 'live';
  if (mode !== 'live' && mode !== 'consistent') throw new UsageError(`--mode must be live or consistent (got '${mode}')`);

  if (!v.watch) {
    if (v.interval !== undefined) throw new UsageError('--interval goes with --watch');
    if (v.count !== undefined) throw new UsageError('--count goes with --watch');
    const format = v.format ?? 'json';
    if (format !== 'json' && format !== 'text' && format !== 'pprof' && format !== 'prom') {
      throw new UsageError(`--format must be json, text or pprof, or prom for the Prometheus exposition (got '${format}')`);
    }
    return { kind: 'read', target, format, mode, via, logLevel };
  }

  if (v.format !== undefined) throw new UsageError('--watch draws its own view: --format is for single readings and --list');
  const intervalMs = v.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(v.interval);
  if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw new UsageError(`--interval must be a duration like 500ms, 1s or 2m, from ${MIN_INTERVAL_MS}ms to 1h (got '${v.interval}')`);
  }
  let count: number | undefined;
  if (v.count !== undefined) {
    if (!/^[1-9][0-9]*$/.test(v.count)) throw new UsageError(`--count must be a positive integer (got '${v.count}')`);
    count = Number(v.count);
  }
  return { kind: 'watch', target, mode, intervalMs, count, via, logLevel };
}
