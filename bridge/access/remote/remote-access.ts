// A process on another host: preflight over ssh, `gdbserver --once --multi` there, an
// `ssh -N -L` tunnel here, and gdb attached through it in non-stop mode. One RemoteAccess
// per attach (the session makes a fresh one each time): it owns its gdbserver session and
// tunnel and tears both down in dispose(). A dropped link closes gdb at once, so the
// session restarts (with backoff) instead of reading from a dead connection.
import { archFor } from '../../go/decode/arch.ts';
import { GoError, GoErrorCode } from '../../go/errors.ts';
import { attachError } from '../local-access.ts';
import type { Preflight } from '../../go/target-access.ts';
import type { TargetAccess } from '../../go/target-access.ts';
import type { Logger } from '../../log.ts';
import type { MiClient } from '../../mi/client.ts';
import { gdbSet } from '../../mi/commands/gdb.ts';
import { MiError } from '../../mi/errors.ts';
import { SshError, SshErrorCode } from './errors.ts';
import { PortTakenError, RemoteGdbserver } from './gdbserver.ts';
import { attachThroughGdbserver } from './remote-attach.ts';
import { remotePreflight } from './remote-preflight.ts';
import { readRemoteProcFiles } from './remote-proc.ts';
import { int, resumeFunction, shCommand } from './remote-sh.ts';
import { ProcessStatsCache } from '../proc/process-stats.ts';
import type { ProcessStats } from '../../../protocol/process-stats.ts';
import { parseDestination, runSsh, type SshOptions } from './ssh.ts';
import { SshTunnel } from './tunnel.ts';

export interface RemoteAccessOptions {
  /** `[user@]host[:port]` */
  ssh: string;
  pid: number;
  /** a local copy of the executable (its Go build ID must match the remote one) */
  exe?: string | undefined;
  /** ssh client config file (-F) */
  sshConfig?: string | undefined;
  log: Logger;
}

/** How long a liveness answer is reused: samples at 10 ms must not each cost an ssh round trip. */
const ALIVE_CACHE_MS = 1000;
/** gdb's name for each machine the reader supports. */
const GDB_ARCH: Partial<Record<string, string>> = { x86_64: 'i386:x86-64', aarch64: 'aarch64' };
/** Where gdbserver's port is picked (above most services, below the usual ephemeral range's top). */
const REMOTE_PORTS = { from: 20_000, to: 60_000 };
/** Checks made while the link may be down get a shorter connect timeout. */
const CHECK_CONNECT_TIMEOUT_S = 5;

/**
 * Targets whose link dropped before we could check them: the next attach to the same target
 * (the reconnect) first runs the SIGCONT check over ssh. The wrapper on the remote side
 * normally did it already; this covers a wrapper that could not (killed with its session).
 */
const pendingResume = new Set<string>();

interface Link {
  server: RemoteGdbserver;
  tunnel: SshTunnel;
  /** being torn down on purpose: its processes ending is not a lost link */
  closing?: boolean;
}

export class RemoteAccess implements TargetAccess {
  readonly kind = 'remote' as const;
  readonly frozen = false;
  readonly description: string;
  readonly labels: { host: string };
  private readonly ssh: SshOptions;
  private readonly log: Logger;
  /** gdbserver + tunnel, started right after a good preflight so they come up while gdb loads symbols */
  private linkP: Promise<Link> | undefined;
  private link: Link | undefined;
  private gdb: MiClient | undefined;
  private attachStarted = false;
  private disposed = false;
  private disposing: Promise<void> | undefined;
  /** ensureRunning/dispose are ending the link on purpose */
  private tearingDown = false;
  /** set when the tunnel or the gdbserver session ended while we were not tearing down */
  private linkLost: SshError | undefined;
  /** the link dropped because the remote host stopped answering (not just our ssh process) */
  private networkDown = false;
  private aliveCache: { at: number; value: boolean } | undefined;
  /** ports listening on the remote host at preflight time */
  private listening = new Set<number>();

  constructor(private readonly opts: RemoteAccessOptions) {
    parseDestination(opts.ssh); // a bad destination fails here, before anything runs
    this.ssh = { destination: opts.ssh, configFile: opts.sshConfig };
    this.description = `process ${opts.pid} on ${opts.ssh}`;
    this.labels = { host: opts.ssh };
    this.log = opts.log.child({ component: 'remote', host: opts.ssh, pid: opts.pid });
  }

  private get key(): string {
    return `${this.opts.ssh}\0${this.opts.sshConfig ?? ''}\0${this.opts.pid}`;
  }

  async preflight(): Promise<Preflight> {
    if (pendingResume.has(this.key)) {
      await this.resumeCheck(this.log, 10); // throws if the host is still unreachable
      pendingResume.delete(this.key);
    }
    const pre = await remotePreflight(this.ssh, this.opts.ssh, this.opts.pid, this.opts.exe);
    // Checked here as well as by the reader: the link below must not start for a target we refuse.
    if (!archFor(pre.machineName)) throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `architecture ${pre.machineName} is not supported yet (amd64 and arm64 are)`);
    this.listening = pre.listening;
    this.linkP = this.openLink();
    this.linkP.catch(() => undefined); // surfaced by attach(); dispose() tears down whatever came up
    const { self: _self, facts: _facts, listening: _listening, ...plain } = pre;
    return plain;
  }

  /** A port nobody listens on there (random, so two bridges rarely pick the same one). */
  private pickRemotePort(): number {
    for (;;) {
      const p = REMOTE_PORTS.from + Math.floor(Math.random() * (REMOTE_PORTS.to - REMOTE_PORTS.from));
      if (!this.listening.has(p)) return p;
    }
  }

  /**
   * The gdbserver session and the tunnel, opened side by side while gdb loads symbols;
   * gdbserver itself listens only when attach() asks (see gdbserver.ts).
   */
  private async openLink(): Promise<Link> {
    const port = this.pickRemotePort();
    const [server, tunnel] = await Promise.allSettled([RemoteGdbserver.start(this.ssh, this.opts.pid, port, this.log), SshTunnel.open(this.ssh, port, this.log)]);
    if (server.status === 'rejected' || tunnel.status === 'rejected') {
      if (server.status === 'fulfilled') await server.value.stop();
      if (tunnel.status === 'fulfilled') await tunnel.value.close();
      // The session's error is the more telling one (gdbserver missing, auth, …).
      throw server.status === 'rejected' ? server.reason : (tunnel as PromiseRejectedResult).reason;
    }
    const link: Link = { server: server.value, tunnel: tunnel.value };
    this.link = link;
    if (this.disposed) {
      await this.teardown(link);
      throw new SshError(SshErrorCode.REMOTE, 'closed while connecting');
    }
    const lost = (what: string, detail: () => string): void => {
      // Ended on purpose, or because gdb went first (gdbserver --once follows gdb): not the link.
      if (this.tearingDown || link.closing || this.linkLost || this.gdb?.isExited) return;
      const d = detail().split('\n').pop() ?? '';
      // ssh's keepalives gave up: the network, not just our process, is down.
      this.networkDown = /not responding|timed out|reset|unreachable|no route/i.test(d);
      this.linkLost = new SshError(SshErrorCode.UNREACHABLE, `the ssh link to ${this.opts.ssh} dropped (${what} ended${d ? `: ${d}` : ''}); reconnecting`);
      this.log.warn({ what, detail: d }, 'ssh link lost; ending gdb so the session reconnects');
      // gdb would otherwise keep answering reads with errors (or block on the dead socket).
      // It traces nothing on this host (gdbserver does, remotely), so killing it is harmless.
      this.gdb?.kill('SIGKILL');
    };
    void link.tunnel.exited.then(() => lost('the tunnel', () => link.tunnel.diagnostics()));
    void link.server.exited.then(() => lost('the gdbserver session', () => link.server.diagnostics()));
    return link;
  }

  async attach(gdb: MiClient, pre: Preflight, log: Logger): Promise<void> {
    if (!this.linkP) throw new Error('RemoteAccess.attach before preflight');
    this.gdb = gdb;
    // The ssh handshake of a slow link can exceed gdb's default 2 s (gdb-mi-notes.md §7).
    await gdbSet(gdb, 'remotetimeout', '20');
    // A local copy is loaded: skip gdb's probes for remote debug files. Without one, the
    // default `target:` sysroot makes gdb fetch the executable over the link.
    if (pre.symbolFile !== undefined) await gdbSet(gdb, 'sysroot', '');
    // Without a loaded file gdb guesses the architecture until the fetched executable is read,
    // and a stop reply that arrives first is refused ("Remote register badly formatted"),
    // failing the attach with threads stopped. The preflight knows the machine: say it.
    else await gdbSet(gdb, 'architecture', GDB_ARCH[pre.machineName] ?? 'auto');
    let link = await this.linkP;
    for (let attempt = 1; ; attempt++) {
      try {
        await link.server.listen();
        break;
      } catch (err) {
        if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
        this.log.debug({ err: err.message }, 'remote port taken; another one');
        this.listening.add(link.server.port);
        await this.teardown(link);
        this.linkP = this.openLink();
        link = await this.linkP;
      }
    }
    this.attachStarted = true;
    try {
      await attachThroughGdbserver(gdb, link.tunnel.localPort, this.opts.pid, log, (err) => this.attachError(err, link), () => link.server.markAttaching());
    } catch (err) {
      throw this.linkLost ?? err;
    }
  }

  private attachError(err: unknown, link: Link): unknown {
    const diag = link.tunnel.diagnostics();
    if (/administratively prohibited|open failed/i.test(diag)) {
      return new SshError(SshErrorCode.REMOTE, `sshd on ${this.opts.ssh} refuses port forwarding (AllowTcpForwarding); allow it for this user, the bridge reaches gdbserver through a tunnel`, { cause: err });
    }
    const e = attachError(err, this.opts.pid, ` on ${this.opts.ssh}`);
    if (e instanceof GoError && e.code === GoErrorCode.PTRACE_DENIED) {
      return new GoError(GoErrorCode.PTRACE_DENIED, `ptrace not permitted on process ${this.opts.pid} on ${this.opts.ssh} (gdbserver's attach was refused); connect as root or as the process's user, or allow it there with sysctl kernel.yama.ptrace_scope=0`, { cause: err });
    }
    if (e === err && err instanceof MiError) return new GoError(GoErrorCode.READ_FAILED, `gdbserver on ${this.opts.ssh} could not attach to process ${this.opts.pid}: ${err.gdbMessage ?? err.message}`, { cause: err });
    return e;
  }

  /**
   * true/false when the remote host answered; throws when it did not (link down: unknown,
   * never "exited") and, after the link dropped, even when the process is there, so the
   * reader reports the dropped link rather than the gdb we closed because of it.
   */
  /** /proc over ssh: one round trip every 5 s at most, off the sample's path once warm. */
  private readonly procStats = new ProcessStatsCache(() => readRemoteProcFiles({ ...this.ssh, connectTimeoutS: CHECK_CONNECT_TIMEOUT_S }, this.opts.pid), 5000, false);

  processStats(): Promise<ProcessStats | undefined> {
    return this.procStats.get();
  }

  async alive(): Promise<boolean> {
    // No point asking a host that stopped answering a moment ago: unknown, not exited.
    if (this.linkLost && this.networkDown) throw this.linkLost;
    const c = this.aliveCache;
    if (c && (c.value === false || Date.now() - c.at < ALIVE_CACHE_MS)) {
      if (c.value && this.linkLost) throw this.linkLost;
      return c.value;
    }
    const p = int(this.opts.pid);
    const r = await runSsh({ ...this.ssh, connectTimeoutS: CHECK_CONNECT_TIMEOUT_S }, shCommand(`
if [ -d /proc/${p} ]; then echo "@@state $(grep "^State:" /proc/${p}/status 2>/dev/null | cut -f2 | cut -c1)"; else echo "@@state gone"; fi
`), { timeoutMs: 20_000 });
    const m = /^@@state (\S*)/m.exec(r.stdout);
    if (!m) throw new SshError(SshErrorCode.REMOTE, `cannot tell whether process ${this.opts.pid} on ${this.opts.ssh} is alive (unexpected answer)`);
    const value = m[1] !== 'gone' && m[1] !== 'Z' && m[1] !== 'X' && m[1] !== '';
    this.aliveCache = { at: Date.now(), value };
    if (value && this.linkLost) throw this.linkLost;
    return value;
  }

  /**
   * Makes sure the target is not left stopped. While our gdbserver session still runs, ending
   * it runs the wrapper's own check (no new connection); otherwise (the link dropped) a
   * fresh ssh runs the same check. Never throws: it runs on every exit path.
   */
  async ensureRunning(log: Logger, settleMs: number): Promise<void> {
    if (!this.attachStarted) return; // nothing was done to the target
    this.tearingDown = true;
    const link = this.link;
    if (link && !link.server.isExited) {
      link.closing = true;
      await link.tunnel.close();
      const report = await link.server.stop();
      if (report.resumed) log.warn({ pid: this.opts.pid, host: this.opts.ssh }, 'remote target was left stopped (State T, no tracer); sent SIGCONT');
      if (report.done) return;
    }
    if (this.networkDown) {
      // The host stopped answering a moment ago; the wrapper there frees the target by itself.
      pendingResume.add(this.key);
      return;
    }
    try {
      await this.resumeCheck(log, Math.min(40, Math.max(1, Math.ceil(settleMs / 50))));
      pendingResume.delete(this.key);
    } catch (err) {
      pendingResume.add(this.key);
      log.warn({ err, pid: this.opts.pid, host: this.opts.ssh }, 'cannot check the remote target over ssh now (its gdbserver wrapper resumes it on its own); checking again on reconnect');
    }
  }

  /** One ssh round trip: SIGCONT the target if a thread sits in group-stop with no tracer. */
  private async resumeCheck(log: Logger, rounds: number): Promise<void> {
    const r = await runSsh({ ...this.ssh, connectTimeoutS: CHECK_CONNECT_TIMEOUT_S }, shCommand(`${resumeFunction()}\nresume_if_stopped ${int(this.opts.pid)} ${int(rounds)}\necho mstat:checked\n`), { timeoutMs: 20_000 });
    if (!/mstat:checked/.test(r.stdout)) throw new SshError(SshErrorCode.REMOTE, `the remote check of process ${this.opts.pid} on ${this.opts.ssh} did not finish`);
    if (/mstat:resumed/.test(r.stdout)) log.warn({ pid: this.opts.pid, host: this.opts.ssh }, 'remote target was left stopped (State T, no tracer); sent SIGCONT');
  }

  /** Ends the tunnel and the gdbserver session (idempotent, never throws). */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.disposed = true;
      this.tearingDown = true;
      const link = this.link ?? (await this.linkP?.catch(() => undefined));
      if (link) await this.teardown(link);
    })();
    return this.disposing;
  }

  private async teardown(link: Link): Promise<void> {
    link.closing = true;
    await link.tunnel.close().catch(() => undefined);
    const report = await link.server.stop().catch(() => ({ done: false, resumed: false }));
    if (report.resumed) this.log.warn('remote target was left stopped (State T, no tracer); sent SIGCONT');
  }
}
