// All targets the bridge reads, one TargetSession (one gdb) each, shared by subscribers.
import { realpath } from 'node:fs/promises';
import type { Logger } from '../log.ts';
import { BridgeErrorCode, isBridgeError, ServiceError } from '../errors.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import { targetKey, type TargetInfo, type TargetListing, type TargetRef } from '../../protocol/target.ts';
import { accessFor, type AccessOptions } from '../access/access-for.ts';
import { TargetHealth } from './health.ts';
import { ReadPolicy, type PolicyFacts, type PolicyOptions } from './policy.ts';
import { TargetSession, type Subscriber } from './session.ts';
import { listGoProcesses } from './discovery.ts';
import { listRemoteGoProcesses } from '../access/remote/remote-list.ts';
import type { RecyclePolicy } from './recycle.ts';

export interface ManagerOptions extends PolicyOptions {
  log: Logger;
  lingerMs: number;
  /** sessions (one gdb each) at once; undefined: no limit */
  maxTargets?: number | undefined;
  cacheDir?: string | undefined;
  /** the gdb to run (undefined: $MSTAT_GDB or gdb on PATH) */
  gdbPath?: string | undefined;
  /** when a session's gdb is replaced by a fresh one (undefined: the default) */
  recycle?: RecyclePolicy | undefined;
  /** how remote targets are reached (ssh config file) */
  access?: AccessOptions;
  /** for tests: what the policy reads about processes */
  policyFacts?: PolicyFacts;
}

/** The ref with its files (a core and its executable, a local copy) by their real paths. */
async function canonicalRef(ref: TargetRef): Promise<TargetRef> {
  const real = async (path: string): Promise<string> => {
    try {
      return await realpath(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new GoError(GoErrorCode.NO_SUCH_FILE, `${path}: no such file; give the path of an existing file`, { cause: err });
      if (code === 'EMFILE' || code === 'ENFILE') throw new GoError(GoErrorCode.RESOURCES, `cannot resolve ${path}: the bridge is out of file descriptors (${code}); try again later`, { cause: err });
      throw new GoError(GoErrorCode.UNREADABLE, `cannot resolve ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  if ('core' in ref) {
    // A core reference that names a missing file is a bad core reference (BAD_CORE).
    const both = await Promise.all([real(ref.core), real(ref.exe)]).catch((err: unknown) => {
      if (err instanceof GoError && err.code === GoErrorCode.NO_SUCH_FILE) throw new GoError(GoErrorCode.BAD_CORE, `core target: ${err.message}`, { cause: err });
      throw err;
    });
    return { core: both[0], exe: both[1] };
  }
  if ('ssh' in ref) return ref; // its exe is checked where it is read
  return ref.exe === undefined ? ref : { pid: ref.pid, exe: await real(ref.exe) };
}

/** How often a subscribe starts over when its session closed under it (it cannot keep happening). */
const MAX_SESSION_ATTEMPTS = 3;

export class TargetManager {
  private readonly sessions = new Map<string, TargetSession>();
  /** health of every target read now or pinned (see health.ts) */
  private readonly healthByKey = new Map<string, TargetHealth>();
  /** targets kept for /metrics (--scrape-attach): their health stays while they are down */
  private readonly pinned = new Set<string>();
  private readonly policy: ReadPolicy;
  private closing = false;

  constructor(private readonly opts: ManagerOptions) {
    this.policy = new ReadPolicy(opts, opts.policyFacts);
  }

  /**
   * The live session of a target, made if needed. A session that is still detaching (its
   * linger ran out, its attach failed, its target exited) is let finish first: a new
   * subscriber gets a fresh attach, never a session on its way out.
   */
  private async session(ref: TargetRef): Promise<TargetSession> {
    const key = targetKey(ref);
    for (let s = this.sessions.get(key); s; s = this.sessions.get(key)) {
      if (!s.isClosing) return s;
      await s.close();
      if (this.sessions.get(key) === s) this.sessions.delete(key);
    }
    const max = this.opts.maxTargets;
    if (max !== undefined && this.sessions.size >= max) {
      throw new ServiceError(BridgeErrorCode.TOO_MANY_TARGETS, `the bridge reads ${this.sessions.size} targets already, its limit (--max-targets ${max}); unsubscribe from one first`);
    }
    const log = this.opts.log.child({ target: key });
    const created: TargetSession = new TargetSession({
      ref,
      access: () => accessFor(ref, { ...this.opts.access, log }),
      log,
      lingerMs: this.opts.lingerMs,
      cacheDir: this.opts.cacheDir,
      gdbPath: this.opts.gdbPath,
      recycle: this.opts.recycle,
      health: this.healthOf(ref),
      onClosed: () => {
        if (this.sessions.get(key) === created) this.sessions.delete(key);
        if (!this.sessions.has(key) && !this.pinned.has(key)) this.healthByKey.delete(key);
      },
    });
    this.sessions.set(key, created);
    return created;
  }

  private shuttingDown(): ServiceError {
    return new ServiceError(BridgeErrorCode.CLOSING, 'the bridge is shutting down');
  }

  /** The health entry of a target, made if needed. */
  healthOf(ref: TargetRef): TargetHealth {
    const key = targetKey(ref);
    let h = this.healthByKey.get(key);
    if (!h) this.healthByKey.set(key, (h = new TargetHealth(ref)));
    return h;
  }

  /** Keeps a target's health (and so its up/down series) while it cannot be read, for --scrape-attach. */
  pin(ref: TargetRef): TargetHealth {
    this.pinned.add(targetKey(ref));
    return this.healthOf(ref);
  }

  /** No longer kept for /metrics (a --scrape-attach program's process that is gone). */
  unpin(ref: TargetRef): void {
    const key = targetKey(ref);
    this.pinned.delete(key);
    if (!this.sessions.has(key)) this.healthByKey.delete(key);
  }

  /** Every target's health: the ones read now and the pinned ones. */
  health(): TargetHealth[] {
    return [...this.healthByKey.values()];
  }

  /** Attaches if needed and adds the subscriber. Resolves with the target info and an unsubscribe. */
  async subscribe(given: TargetRef, sub: Subscriber): Promise<{ info: TargetInfo; unsubscribe: () => void }> {
    if (this.closing) throw this.shuttingDown();
    // One file under many spellings (/a/../a/core, a symlink) is one target, one gdb.
    const ref = await canonicalRef(given);
    this.policy.check(ref);
    for (let attempt = 1; ; attempt++) {
      const s = await this.session(ref);
      if (this.closing) {
        if (s.subscriberCount === 0) await s.close();
        throw this.shuttingDown();
      }
      let info: TargetInfo;
      try {
        info = await s.open();
      } catch (err) {
        // Closed between session() and open(): start over on a fresh session.
        if (isBridgeError(err) && err.code === BridgeErrorCode.SESSION_CLOSED && !this.closing && attempt < MAX_SESSION_ATTEMPTS) continue;
        if (s.subscriberCount === 0) await s.close();
        throw err;
      }
      if (!s.isClosing) return { info, unsubscribe: s.add(sub) };
      // Closed while we attached (shutdown, or the target exited meanwhile): start over.
      if (this.closing) throw this.shuttingDown();
      if (attempt >= MAX_SESSION_ATTEMPTS) throw new GoError(GoErrorCode.TARGET_EXITED, `target ${s.key} went away while attaching`);
    }
  }

  get targetCount(): number {
    return this.sessions.size;
  }

  get subscriberCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.subscriberCount;
    return n;
  }

  /** Sessions with their latest sample, for /metrics. */
  snapshot(): TargetSession[] {
    return [...this.sessions.values()];
  }

  /** The session of a local PID or of any target by its key (targetKey). */
  sessionFor(target: number | string): TargetSession | undefined {
    return this.sessions.get(typeof target === 'number' ? `pid:${target}` : target);
  }

  /** The local scan in flight or done within the last second: many clients asking share one. */
  private localScan: { at: number; list: ReturnType<typeof listGoProcesses> } | undefined;

  /** The Go processes on this host, or with `ssh` on that host (listed over ssh). */
  async listTargets(opts: { ssh?: string | undefined } = {}): Promise<TargetListing[]> {
    if (opts.ssh !== undefined) return this.listRemote(opts.ssh);
    if (!this.localScan || performance.now() - this.localScan.at > 1000) this.localScan = { at: performance.now(), list: listGoProcesses({ self: process.pid }) };
    const list = await this.localScan.list;
    return list.map((t) => {
      const attached = this.sessions.has(`pid:${t.pid}`);
      // What the policy refuses is not attachable through this bridge, whatever ptrace would allow.
      const refused = this.policy.refusal(t.pid);
      if (refused === undefined) return { ...t, attached };
      return { pid: t.pid, exe: t.exe, ...(t.goVersion === undefined ? {} : { goVersion: t.goVersion }), attachable: false, reason: refused, attached };
    });
  }

  private async listRemote(ssh: string): Promise<TargetListing[]> {
    this.policy.checkRemote();
    const keyOf = (pid: number): string => targetKey({ ssh, pid });
    const own = new Set<number>();
    for (const s of this.sessions.values()) if ('ssh' in s.ref && s.ref.ssh === ssh) own.add(s.ref.pid);
    const list = await listRemoteGoProcesses({ destination: ssh, configFile: this.opts.access?.sshConfig }, own);
    return list.map((t) => ({ ...t, attached: this.sessions.has(keyOf(t.pid)) }));
  }

  /** Detaches every target (they keep running). */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }
}
