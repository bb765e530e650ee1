// All targets the bridge reads, one TargetSession (one gdb) each, shared by subscribers.
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { BridgeError } from '../errors.ts';
import { targetKey, type TargetListing, type TargetRef } from '../../protocol/target.ts';
import { accessFor, type AccessOptions } from './access-for.ts';
import { TargetSession, type Subscriber } from './session.ts';
import { listGoProcesses } from './discovery.ts';
import { listRemoteGoProcesses } from '../remote/remote-list.ts';

export interface ManagerOptions {
  log: Logger;
  lingerMs: number;
  allowPids?: readonly number[] | undefined;
  sameUid: boolean;
  cacheDir?: string | undefined;
  /** how remote targets are reached (ssh config file) */
  access?: AccessOptions;
}

function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class TargetManager {
  private readonly sessions = new Map<string, TargetSession>();
  private closing = false;

  constructor(private readonly opts: ManagerOptions) {}

  /** The bridge's policy: allow-list and same-uid. Throws a coded error. */
  private checkPolicy(ref: TargetRef): void {
    if ('pid' in ref && !('ssh' in ref)) return this.checkLocal(ref.pid);
    // A bridge restricted to some local PIDs reads nothing else.
    if (this.opts.allowPids) throw new BridgeError('BRIDGE_ERR_POLICY', `this bridge only reads the local PIDs of its --allow-pids list`);
  }

  private checkLocal(pid: number): void {
    if (this.opts.allowPids && !this.opts.allowPids.includes(pid)) {
      throw new BridgeError('BRIDGE_ERR_POLICY', `PID ${pid} is not in this bridge's --allow-pids list`);
    }
    if (this.opts.sameUid) {
      const uid = uidOf(pid);
      if (uid !== undefined && uid !== process.getuid?.()) throw new BridgeError('BRIDGE_ERR_POLICY', `PID ${pid} belongs to another user (the bridge runs with --same-uid)`);
    }
  }

  private session(ref: TargetRef): TargetSession {
    const key = targetKey(ref);
    let s = this.sessions.get(key);
    if (!s) {
      const log = this.opts.log.child({ target: key });
      const created: TargetSession = new TargetSession({
        ref,
        access: () => accessFor(ref, { ...this.opts.access, log }),
        log,
        lingerMs: this.opts.lingerMs,
        cacheDir: this.opts.cacheDir,
        onClosed: () => {
          if (this.sessions.get(key) === created) this.sessions.delete(key);
        },
      });
      s = created;
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Attaches if needed and adds the subscriber. Resolves with the target info and an unsubscribe. */
  async subscribe(ref: TargetRef, sub: Subscriber) {
    if (this.closing) throw new BridgeError('BRIDGE_ERR_CLOSING', 'the bridge is shutting down');
    this.checkPolicy(ref);
    const s = this.session(ref);
    try {
      const info = await s.open();
      return { info, unsubscribe: s.add(sub) };
    } catch (err) {
      if (s.subscriberCount === 0) await s.close();
      throw err;
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

  /** The Go processes on this host, or with `ssh` on that host (listed over ssh). */
  async listTargets(opts: { ssh?: string | undefined } = {}): Promise<TargetListing[]> {
    if (opts.ssh !== undefined) return this.listRemote(opts.ssh);
    const list = await listGoProcesses({ self: process.pid });
    return list.map((t) => ({ ...t, attached: this.sessions.has(`pid:${t.pid}`) }));
  }

  private async listRemote(ssh: string): Promise<TargetListing[]> {
    if (this.opts.allowPids) throw new BridgeError('BRIDGE_ERR_POLICY', `this bridge only reads the local PIDs of its --allow-pids list`);
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
