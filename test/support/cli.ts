// Runs the real `mstat` CLI (clients/cli/mstat.ts through tsx) as a subprocess, for black-box tests,
// plus the small fixtures those tests need: temp dirs, file patches (a temporary user: scripts/kit/temp-user.ts).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const MSTAT_SCRIPT = join(REPO_ROOT, 'clients', 'cli', 'mstat.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** wall time from spawn to exit */
  ms: number;
  /** set when the run was killed for taking longer than timeoutMs */
  timedOut: boolean;
}

export interface RunOptions {
  /** added to a cleaned copy of process.env */
  env?: Record<string, string | undefined>;
  /** SIGKILL after this long (default 60 s); the result then has timedOut set */
  timeoutMs?: number;
  /** run as this user (through setpriv; the caller must be root) */
  /** run as this user; `caps`: capabilities it keeps (inheritable and ambient), e.g. ['sys_ptrace'] */
  asUser?: { uid: number; gid: number; caps?: string[] };
  /** called with the child pid and each complete stderr line as it arrives */
  onStderrLine?: (line: string, pid: number) => void;
  /** called with the child pid and each complete stdout line as it arrives */
  onStdoutLine?: (line: string, pid: number) => void;
}

/**
 * The environment a CLI child gets: ours without anything that would change what it does
 * (MSTAT_* settings, tap's loaders and coverage hooks), plus `extra`.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(MSTAT_|TAP|_TAPJS|NODE_OPTIONS$|NODE_V8_COVERAGE$)/.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `node --import tsx clients/cli/mstat.ts ...args`, from the repository root. */
export function runMstat(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const caps = opts.asUser?.caps ?? [];
  const capArgs = caps.length === 0 ? ['--inh-caps=-all'] : [`--inh-caps=-all,${caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(',')}`];
  const user = opts.asUser ? ['setpriv', '--reuid', String(opts.asUser.uid), '--regid', String(opts.asUser.gid), '--clear-groups', ...capArgs] : [];
  // Through `env -u NODE_OPTIONS`: tap's process-info hook puts its loaders into every child's
  // NODE_OPTIONS, and they write under .tap/ on exit (which another user may not).
  const argv = ['-u', 'NODE_OPTIONS', ...user, process.execPath, '--import', 'tsx', MSTAT_SCRIPT, ...args];
  const child = spawn('env', argv, { cwd: REPO_ROOT, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, opts);
}

/** Splits a stream's text into lines for `onLine` (with the child's pid). */
function lineSplitter(onLine: ((line: string, pid: number) => void) | undefined, pid: () => number): (d: string) => void {
  let partial = '';
  return (d) => {
    if (!onLine) return;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, nl), pid());
      partial = partial.slice(nl + 1);
    }
  };
}

/** stdout, stderr and the exit status of a spawned mstat, killed after the timeout. */
function collect(child: ChildProcessByStdio<null, Readable, Readable>, opts: RunOptions): Promise<CliResult> {
  const start = performance.now();
  let stdout = '';
  let stderr = '';
  const outLines = lineSplitter(opts.onStdoutLine, () => child.pid!);
  const errLines = lineSplitter(opts.onStderrLine, () => child.pid!);
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    outLines(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    errLines(d);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close': the exit status and all of stdout/stderr are in.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - start, timedOut });
    });
  });
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * `mstat ...args` under a pseudo-terminal (util-linux `script`), so that its stdout is a TTY
 * of `columns` x `rows`. stdout of the result is everything the terminal received (stderr
 * included, line ends as the terminal sends them: \r\n); the exit status is mstat's.
 */
export function runMstatInPty(args: string[], opts: RunOptions & { columns?: number; rows?: number } = {}): Promise<CliResult> {
  const cmd = `stty cols ${opts.columns ?? 120} rows ${opts.rows ?? 40}; exec env -u NODE_OPTIONS ${[process.execPath, '--import', 'tsx', MSTAT_SCRIPT, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO_ROOT, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, opts);
}

/** A fresh temp dir, removed by `t.teardown`. */
export function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'mstat-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** `mstat: F is estimated (±B bytes): why` lines on stderr, as field → bound. */
export function estimatedFields(stderr: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const m of stderr.matchAll(/^mstat: (\w+) is estimated \(±(\d+) bytes\)/gm)) out.set(m[1]!, BigInt(m[2]!));
  return out;
}

/** pino JSON lines from stderr (other lines are skipped). */
export function logRecords(stderr: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const l of lines(stderr)) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

/** A PID that no process has right now: a `true` that was spawned and reaped. */
export async function deadPid(): Promise<number> {
  const c = spawn('true', { stdio: 'ignore' });
  const pid = c.pid!;
  await new Promise((r) => c.on('exit', r));
  return pid;
}

/**
 * Copies a Go binary to `dest` with the toolchain version inside its .go.buildinfo section
 * replaced (same length: the inline string's length prefix stays valid).
 */
export async function patchGoVersion(src: string, dest: string, from: string, to: string): Promise<void> {
  if (from.length !== to.length) throw new Error('patchGoVersion: versions must have the same length');
  const info = await readElfInfo(src);
  const sec = info.sections.find((s) => s.name === '.go.buildinfo');
  if (!sec) throw new Error(`${src} has no .go.buildinfo section`);
  const buf = readFileSync(src);
  const start = Number(sec.offset);
  const end = start + Number(sec.size);
  const at = buf.subarray(start, end).indexOf(Buffer.from(from, 'latin1'));
  if (at < 0) throw new Error(`${from} not found in ${src}'s .go.buildinfo`);
  buf.write(to, start + at, 'latin1');
  writeFileSync(dest, buf, { mode: 0o755 });
}
