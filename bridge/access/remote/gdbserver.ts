// `gdbserver --once --multi 127.0.0.1:PORT` on the remote host, under a small sh wrapper run by
// our own ssh session. We talk to the wrapper with single bytes on the session's stdin:
//  - `h` every HEARTBEAT_MS. EOF (our ssh or the bridge died) or SILENCE_S without a byte
//    (the link dropped) makes the wrapper kill gdbserver, so a dead bridge or link never
//    leaves the target traced for long;
//  - `g`: start gdbserver now. The session (and the tunnel) come up first, and gdbserver
//    listens only when gdb is about to connect: its port is plain TCP on the remote loopback,
//    open to any local user there until our connection takes it (--once), so that window is
//    kept to one round trip through an already open tunnel;
//  - `a`: we are attaching. Only then does the wrapper's last step apply: after gdbserver is
//    gone, SIGCONT the target if a thread was left in group-stop with no tracer
//    (gdb-mi-notes.md §5, §7), watched for 0.5 s when it had to kill gdbserver (the kernel
//    detaches threads one by one), briefly when gdbserver detached by itself.
// --once: gdbserver detaches and exits when gdb disconnects (detach, or the tunnel closed).
// SIGPIPE and SIGHUP are ignored: the wrapper outlives a session sshd tore down and still
// runs its check. gdbserver 13 also takes port 0 and prints the port it chose; we pick the
// port ourselves (free in the remote's /proc/net/tcp*) so that the tunnel can be open before
// gdbserver listens, and retry with another one if it was taken meanwhile.
import type { Logger } from '../../log.ts';
import { classifySshFailure, SshError, SshErrorCode } from './errors.ts';
import { int, resumeFunction, shCommand } from './remote-sh.ts';
import { spawnSsh, sshArgv, type SshOptions } from './ssh.ts';

const HEARTBEAT_MS = 2000;
const SILENCE_S = 10;
const START_TIMEOUT_MS = 20_000;

function wrapperScript(pid: number, port: number): string {
  return `${resumeFunction()}
trap "" PIPE HUP
exec 3<&0 </dev/null
command -v gdbserver >/dev/null 2>&1 || { echo mstat:no-gdbserver; exit 0; }
echo mstat:ready
while :; do
  x=$(timeout ${int(SILENCE_S)} dd bs=1 count=1 2>/dev/null <&3)
  case "$x" in g) break ;; h) ;; *) echo mstat:done; exit 0 ;; esac
done
gdbserver --once --multi 127.0.0.1:${int(port)} 2>&1 3<&- &
g=$!
a=
while kill -0 "$g" 2>/dev/null; do
  x=$(timeout ${int(SILENCE_S)} dd bs=1 count=1 2>/dev/null <&3)
  case "$x" in a) a=1 ;; h) ;; *) break ;; esac
done
n=2
if kill -0 "$g" 2>/dev/null; then kill "$g" 2>/dev/null; n=10; fi
wait "$g" 2>/dev/null
[ -z "$a" ] || resume_if_stopped ${int(pid)} "$n"
echo mstat:done
`;
}

export interface WrapperReport {
  /** the wrapper ran to its end (and its resume check, if we had attached) */
  done: boolean;
  /** it had to SIGCONT the target */
  resumed: boolean;
}

/** gdbserver could not bind its port (taken since we picked it): try another port. */
export class PortTakenError extends SshError {}

export class RemoteGdbserver {
  private heartbeat: NodeJS.Timeout | undefined;
  private exitedFlag = false;
  /** resolves when the ssh session ends, however it ends */
  readonly exited: Promise<void>;
  private stopping: Promise<WrapperReport> | undefined;
  private onLine: ((line: string) => void) | undefined;

  private constructor(
    private readonly proc: ReturnType<typeof spawnSsh>,
    private readonly ssh: SshOptions,
    readonly port: number,
    private readonly lines: string[],
    private readonly stderr: () => string,
  ) {
    this.exited = proc.then(() => {
      this.exitedFlag = true;
      this.stopHeartbeat();
    });
    this.heartbeat = setInterval(() => this.send('h'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get isExited(): boolean {
    return this.exitedFlag;
  }

  /** ssh's pid (tests kill it to cut the link). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  private send(byte: 'h' | 'g' | 'a'): void {
    if (!this.proc.stdin.destroyed && this.proc.stdin.writable) this.proc.stdin.write(byte);
  }

  /**
   * Opens the session; resolves once the wrapper runs and has found gdbserver (which does not
   * listen yet: see listen()).
   */
  static async start(ssh: SshOptions, pid: number, port: number, log: Logger): Promise<RemoteGdbserver> {
    const proc = spawnSsh(ssh, sshArgv(ssh, [], shCommand(wrapperScript(pid, port))));
    const lines: string[] = [];
    let stderr = '';
    let partial = '';
    let self: RemoteGdbserver | undefined;
    let early: ((line: string) => void) | undefined;
    proc.stdin.on('error', () => undefined); // EPIPE after the session ended: the exit path reports it
    proc.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
    proc.stdout.on('data', (d: string) => {
      partial += d;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        lines.push(line);
        if (lines.length > 200) lines.splice(0, lines.length - 200);
        log.debug({ line }, 'remote gdbserver wrapper');
        (self?.onLine ?? early)?.(line);
      }
    });
    let exited = false;
    void proc.then(() => (exited = true));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new SshError(SshErrorCode.REMOTE, `the gdbserver session on ${ssh.destination} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        early = undefined;
        proc.kill('SIGTERM');
        reject(err);
      };
      early = (line) => {
        if (line === 'mstat:ready') {
          clearTimeout(timer);
          early = undefined;
          resolve();
        } else if (line === 'mstat:no-gdbserver') {
          fail(gdbserverMissing(ssh.destination));
        }
      };
      void proc.then(() => {
        if (early === undefined) return;
        fail(classifySshFailure(ssh.destination, stderr, proc.exitCode ?? undefined) ?? new SshError(SshErrorCode.REMOTE, `the gdbserver session on ${ssh.destination} ended at once: ${lastLine(lines, stderr)}`));
      });
    });
    self = new RemoteGdbserver(proc, ssh, port, lines, () => stderr);
    if (exited) self.exitedFlag = true;
    return self;
  }

  /** Starts gdbserver and resolves once it listens on `port`. */
  listen(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new SshError(SshErrorCode.REMOTE, `gdbserver on ${this.ssh.destination} did not start listening within ${timeoutMs / 1000} s`)), timeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.onLine = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.onLine = (line) => {
        if (line.includes(`Listening on port ${this.port}`)) done();
        else if (/can't bind address|address already in use/i.test(line)) done(new PortTakenError(SshErrorCode.REMOTE, `port ${this.port} on ${this.ssh.destination} was taken meanwhile: ${line}`));
        else if (line === 'mstat:done') done(new SshError(SshErrorCode.REMOTE, `gdbserver on ${this.ssh.destination} exited before listening: ${lastLine(this.lines.filter((l) => l !== 'mstat:done'), this.stderr())}`));
      };
      void this.exited.then(() => {
        if (this.onLine) done(classifySshFailure(this.ssh.destination, this.stderr(), this.proc.exitCode ?? undefined) ?? new SshError(SshErrorCode.REMOTE, `the gdbserver session on ${this.ssh.destination} ended before gdbserver listened: ${lastLine(this.lines, this.stderr())}`));
      });
      this.send('g');
    });
  }

  /** Tells the wrapper that we attach: from now on its exit path checks the target. */
  markAttaching(): void {
    this.send('a');
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** What our ssh said (why the session ended, when it did not end on purpose). */
  diagnostics(): string {
    return this.stderr().trim();
  }

  /** What the wrapper said about its final resume check (after it exited). */
  report(): WrapperReport {
    return { done: this.lines.includes('mstat:done'), resumed: this.lines.includes('mstat:resumed') };
  }

  /**
   * Ends the session: stdin EOF makes the wrapper kill gdbserver (if still there), run its
   * resume check and exit. Escalates to SIGTERM/SIGKILL of our ssh if it hangs (a dead
   * link: then the remote side ends by itself after SILENCE_S).
   */
  stop(graceMs = 3000): Promise<WrapperReport> {
    this.stopping ??= (async () => {
      this.stopHeartbeat();
      this.proc.stdin.end();
      const wait = (ms: number): Promise<boolean> => Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      if (!(await wait(graceMs))) {
        this.proc.kill('SIGTERM');
        if (!(await wait(1000))) this.proc.kill('SIGKILL');
        await wait(1000);
      }
      return this.report();
    })();
    return this.stopping;
  }
}

export function gdbserverMissing(destination: string): SshError {
  return new SshError(
    SshErrorCode.GDBSERVER_MISSING,
    `gdbserver is not installed on ${destination} (not found on the ssh session's PATH); install it there (Debian/Ubuntu: apt-get install gdbserver; Fedora/RHEL: dnf install gdb-gdbserver)`,
  );
}

function lastLine(lines: string[], stderr: string): string {
  return (lines.filter((l) => l !== '').pop() ?? stderr.trim().split('\n').pop() ?? '').slice(0, 300);
}
