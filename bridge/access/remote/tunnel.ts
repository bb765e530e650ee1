// `ssh -N -L 127.0.0.1:LPORT:127.0.0.1:RPORT`: the TCP tunnel from a free local loopback port
// to the remote gdbserver. ExitOnForwardFailure makes a taken port an ssh exit (we retry with
// another one) instead of a tunnel that silently does not forward. Readiness is seen in
// /proc (ssh's own socket listening on the port), never by connecting: gdbserver --once
// would take a probe connection for gdb and exit when it closes.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Logger } from '../../log.ts';
import { classifySshFailure, SshError, SshErrorCode } from './errors.ts';
import { spawnSsh, sshArgv, type SshOptions } from './ssh.ts';

const READY_TIMEOUT_MS = 20_000;
const ATTEMPTS = 3;

/** A port nobody listens on right now (the kernel's choice); ExitOnForwardFailure covers the race. */
export async function freeLocalPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Socket inodes listening on 127.0.0.1:port (from /proc/net/tcp; state 0A = LISTEN). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const out = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const text = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1]!.endsWith(`:${hex}`) && f[3] === '0A') out.add(f[9]!);
  }
  return out;
}

/** Does process `pid` own one of `inodes`? */
async function ownsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  if (inodes.size === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1]!)) return true;
  }
  return false;
}

export class SshTunnel {
  /** resolves when the ssh process ends, however it ends */
  readonly exited: Promise<void>;
  private exitedFlag = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly proc: ReturnType<typeof spawnSsh>,
    readonly localPort: number,
    private readonly stderr: () => string,
  ) {
    this.exited = proc.then(() => {
      this.exitedFlag = true;
    });
  }

  get isExited(): boolean {
    return this.exitedFlag;
  }

  /** ssh's pid (tests kill it to cut the link). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Opens the tunnel and resolves once the local port forwards to `remotePort` on the remote loopback. */
  static async open(ssh: SshOptions, remotePort: number, log: Logger): Promise<SshTunnel> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const localPort = await freeLocalPort();
      const forward = `127.0.0.1:${localPort}:127.0.0.1:${remotePort}`;
      const proc = spawnSsh(ssh, sshArgv(ssh, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', forward]));
      proc.stdin.end(); // -N reads nothing; EOF keeps it from holding our pipe
      let stderr = '';
      proc.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
      proc.stdout.resume();
      let exited = false;
      void proc.then(() => (exited = true));
      const end = Date.now() + READY_TIMEOUT_MS;
      while (!exited && Date.now() < end) {
        if (proc.pid !== undefined && (await ownsSocket(proc.pid, await listeningInodes(localPort)))) {
          log.debug({ localPort, remotePort }, 'ssh tunnel ready');
          return new SshTunnel(proc, localPort, () => stderr);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!exited) {
        proc.kill('SIGKILL');
        throw new SshError(SshErrorCode.UNREACHABLE, `the ssh tunnel to ${ssh.destination} did not come up within ${READY_TIMEOUT_MS / 1000} s`);
      }
      await proc;
      // Someone took the port between our check and ssh's bind: try another.
      if (/forwarding|address already in use|cannot listen/i.test(stderr) && !/administratively prohibited/i.test(stderr)) {
        log.debug({ localPort, stderr: stderr.trim() }, 'local port taken; retrying the tunnel');
        lastErr = new SshError(SshErrorCode.REMOTE, `cannot forward a local port to ${ssh.destination}: ${stderr.trim().split('\n').pop()}`);
        continue;
      }
      if (/administratively prohibited|open failed/i.test(stderr)) {
        throw new SshError(SshErrorCode.REMOTE, `sshd on ${ssh.destination} refuses port forwarding (AllowTcpForwarding); allow it for this user, the bridge reaches gdbserver through a tunnel`);
      }
      throw classifySshFailure(ssh.destination, stderr, proc.exitCode ?? undefined) ?? new SshError(SshErrorCode.UNREACHABLE, `the ssh tunnel to ${ssh.destination} ended at once: ${stderr.trim().split('\n').pop() ?? ''}`);
    }
    throw lastErr;
  }

  /** What ssh said (a refused forward shows up here only when gdb connects). */
  diagnostics(): string {
    return this.stderr().trim();
  }

  /** Ends the tunnel: SIGTERM, then SIGKILL if ssh lingers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.exitedFlag) return;
      this.proc.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
      if (!done) this.proc.kill('SIGKILL');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    })();
    return this.closing;
  }
}
