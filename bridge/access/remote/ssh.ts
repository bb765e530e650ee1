// The system ssh client, run through execa: the user's ~/.ssh/config, agent, keys and
// known_hosts apply, but never a prompt (BatchMode). The destination is validated by
// SshDestinationSchema and passed as its own argv entry after `--`; remote commands are
// built by remote-sh.ts from fixed text and integers only.
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { SshDestinationSchema } from '../../../protocol/target.ts';
import { classifySshFailure, SshError, SshErrorCode } from './errors.ts';

export interface SshOptions {
  /** `[user@]host[:port]` as the client gave it */
  destination: string;
  /** an ssh client config file, passed as -F (default: the user's own) */
  configFile?: string | undefined;
  /** seconds for the TCP connect (ssh's ConnectTimeout) */
  connectTimeoutS?: number | undefined;
  /** ssh executable (tests, unusual installs); default `ssh` on PATH */
  sshPath?: string | undefined;
}

export interface SshDestination {
  /** what ssh gets after `--`: `user@host` or `host` (a Host alias of the config, too) */
  target: string;
  port: number | undefined;
  /** for labels and messages */
  host: string;
}

/** Splits `[user@]host[:port]`; throws a coded error on anything else. */
export function parseDestination(destination: string): SshDestination {
  const ok = SshDestinationSchema.safeParse(destination);
  if (!ok.success) throw new SshError(SshErrorCode.UNREACHABLE, `not an ssh destination: ${JSON.stringify(destination.slice(0, 100))} (expected [user@]host[:port])`);
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(destination)!;
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new SshError(SshErrorCode.UNREACHABLE, `ssh port out of range in ${destination}`);
  return { target: m[1] === undefined ? host : `${m[1]}@${host}`, port, host };
}

/**
 * Options for every invocation. Command-line -o wins over any config file, so these hold
 * whatever the user's config says: no prompts, no multiplexing (a shared master would
 * outlive our teardown), no LocalCommand/RemoteCommand, and keepalives so that a dead link
 * ends the ssh process within seconds instead of hanging.
 */
function baseArgs(o: SshOptions, d: SshDestination): string[] {
  return [
    ...(o.configFile === undefined ? [] : ['-F', o.configFile]),
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${o.connectTimeoutS ?? 10}`,
    '-o', 'ServerAliveInterval=2',
    '-o', 'ServerAliveCountMax=3',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'PermitLocalCommand=no',
    '-o', 'RemoteCommand=none',
    '-o', 'RequestTTY=no',
    ...(d.port === undefined ? [] : ['-p', String(d.port)]),
  ];
}

/** argv for a remote command (`command` from remote-sh.ts) or, without one, for `-N` extra args. */
export function sshArgv(o: SshOptions, extra: readonly string[], command?: string): string[] {
  const d = parseDestination(o.destination);
  // Forwardings from a config file would collide with ours or with another bridge's.
  const clear = command === undefined ? [] : ['-o', 'ClearAllForwardings=yes'];
  return [...baseArgs(o, d), ...clear, ...extra, '--', d.target, ...(command === undefined ? [] : [command])];
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Long-running ssh (tunnel, gdbserver session): its own process group (a terminal's Ctrl-C
 * is ours to handle, not ssh's) and a parent-death signal, so even a SIGKILLed bridge
 * leaves no ssh behind, and with it nothing on the remote side.
 */
export function spawnSsh(o: SshOptions, argv: string[]): ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; buffer: false; reject: false; encoding: 'utf8'; detached: true }> {
  const ssh = o.sshPath ?? process.env.MSTAT_SSH ?? 'ssh';
  const [file, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', ssh, ...argv]] : [ssh, argv];
  return execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false, encoding: 'utf8', detached: true, env: { LC_ALL: 'C' }, extendEnv: true });
}

export interface SshResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/**
 * Runs one remote command and returns its output. ssh's own failures (exit 255 with an ssh
 * diagnostic) become coded SshErrors; a command that fails remotely is returned as is.
 */
export async function runSsh(o: SshOptions, command: string, opts: { timeoutMs?: number } = {}): Promise<SshResult> {
  const ssh = o.sshPath ?? process.env.MSTAT_SSH ?? 'ssh';
  const argv = sshArgv(o, ['-n'], command);
  const [file, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', ssh, ...argv]] : [ssh, argv];
  const r = await execa(file, args, {
    stdin: 'ignore',
    reject: false,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    forceKillAfterDelay: 2000,
    maxBuffer: 64 * 1024 * 1024,
    env: { LC_ALL: 'C' },
    extendEnv: true,
  });
  if (r.failed && r.exitCode === undefined && !r.timedOut) {
    throw new SshError(SshErrorCode.UNREACHABLE, `cannot run ssh ('${ssh}'): ${r.shortMessage}; install the OpenSSH client`, { cause: r });
  }
  if (r.exitCode === 127 && /failed to execute|No such file/i.test(String(r.stderr ?? ''))) {
    throw new SshError(SshErrorCode.UNREACHABLE, `cannot run ssh ('${ssh}' not found); install the OpenSSH client or set MSTAT_SSH`);
  }
  if (r.timedOut) throw new SshError(SshErrorCode.UNREACHABLE, `ssh to ${o.destination} did not finish within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s; check the link to the host`);
  const out = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode };
  if (r.exitCode === 255) throw classifySshFailure(o.destination, out.stderr, 255)!;
  return out;
}
