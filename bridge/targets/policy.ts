// The bridge's own read policy (--allow-pids, --allow-exes, --same-uid): which targets it
// refuses before anything touches them. A refusal is BRIDGE_ERR_POLICY (wire:
// PERMISSION_DENIED); what cannot be checked is refused too, never waved through.
import { existsSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { parseProcStatus } from '../access/proc/proc-status.ts';
import { BridgeErrorCode, ServiceError } from '../errors.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import type { TargetRef } from '../../protocol/target.ts';

export interface PolicyOptions {
  allowPids?: readonly number[] | undefined;
  /** real paths of the executables local targets may run */
  allowExes?: readonly string[] | undefined;
  sameUid: boolean;
}

/** What the policy reads about processes and files (tests substitute failures). */
export interface PolicyFacts {
  /** real, effective and saved uid of a process; throws (ErrnoException) when unreadable */
  uids(pid: number): number[];
  /** the path /proc/PID/exe points at; throws when unreadable */
  exe(pid: number): string;
  processExists(pid: number): boolean;
  realpath(path: string): string;
  /** owner uid of a file; throws when it cannot be stat'ed */
  fileOwner(path: string): number;
  /** the uid the bridge runs as */
  myUid(): number;
}

export const procFacts: PolicyFacts = {
  uids(pid) {
    const uids = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).uids;
    if (uids.length < 3) throw new Error(`no Uid line in /proc/${pid}/status`);
    return [uids[0]!, uids[1]!, uids[2]!];
  },
  // The kernel's link text is already canonical (no symlinks); realpath() only adds "(deleted)" trouble.
  exe: (pid) => readlinkSync(`/proc/${pid}/exe`),
  processExists: (pid) => existsSync(`/proc/${pid}/status`),
  realpath: (p) => realpathSync(p),
  fileOwner: (p) => statSync(p).uid,
  myUid: () => process.geteuid?.() ?? process.getuid?.() ?? -1,
};

const errText = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
const refuse = (message: string): ServiceError => new ServiceError(BridgeErrorCode.POLICY, message);

export class ReadPolicy {
  constructor(
    private readonly opts: PolicyOptions,
    private readonly facts: PolicyFacts = procFacts,
  ) {}

  /** An allow-list is set: only local processes (and cores of allowed executables) are read. */
  get localOnly(): boolean {
    return this.opts.allowPids !== undefined || this.opts.allowExes !== undefined;
  }

  /** Throws BRIDGE_ERR_POLICY (or NO_SUCH_PROCESS for a PID that does not exist) when refused. */
  check(ref: TargetRef): void {
    if ('core' in ref) return this.checkCore(ref.core, ref.exe);
    if ('ssh' in ref) return this.checkRemote();
    this.checkLocal(ref.pid);
  }

  /** Remote targets (and remote listings) are read with the ssh user's own permissions there. */
  checkRemote(): void {
    if (this.localOnly) throw refuse(`this bridge reads only the local processes its ${this.lists()} allows`);
  }

  /** Why a local PID is refused, for list-targets; undefined when allowed. */
  refusal(pid: number): string | undefined {
    try {
      this.checkLocal(pid);
      return undefined;
    } catch (err) {
      return `refused by this bridge's policy: ${(err as Error).message}`;
    }
  }

  private lists(): string {
    return [this.opts.allowPids && '--allow-pids', this.opts.allowExes && '--allow-exes'].filter(Boolean).join(' and ');
  }

  private checkLocal(pid: number): void {
    if (this.opts.allowPids && !this.opts.allowPids.includes(pid)) throw refuse(`PID ${pid} is not in this bridge's --allow-pids list`);
    if (this.opts.allowExes) {
      let exe: string;
      try {
        exe = this.facts.exe(pid);
      } catch (err) {
        this.noSuchProcess(pid);
        throw refuse(`cannot read the executable of PID ${pid} (${errText(err)}) to check this bridge's --allow-exes list`);
      }
      if (!this.opts.allowExes.includes(exe)) throw refuse(`PID ${pid} runs ${exe}, which is not in this bridge's --allow-exes list`);
    }
    if (this.opts.sameUid) {
      let uids: number[];
      try {
        uids = this.facts.uids(pid);
      } catch (err) {
        this.noSuchProcess(pid);
        throw refuse(`cannot read the owner of PID ${pid} (${errText(err)}); the bridge runs with --same-uid`);
      }
      const me = this.facts.myUid();
      // Real, effective and saved uid: a setuid program started by us is not ours to read.
      const other = uids.find((u) => u !== me);
      if (other !== undefined) throw refuse(`PID ${pid} runs as uid ${other}, not the bridge's uid ${me} (the bridge runs with --same-uid)`);
    }
  }

  private noSuchProcess(pid: number): void {
    if (!this.facts.processExists(pid)) throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `no process with PID ${pid}`);
  }

  private checkCore(core: string, exe: string): void {
    if (this.opts.allowPids) throw refuse(`this bridge reads only the local PIDs of its --allow-pids list`);
    if (this.opts.allowExes) {
      let real: string;
      try {
        real = this.facts.realpath(exe);
      } catch (err) {
        throw refuse(`cannot resolve ${exe} (${errText(err)}) to check this bridge's --allow-exes list`);
      }
      if (!this.opts.allowExes.includes(real)) throw refuse(`${real} is not in this bridge's --allow-exes list`);
    }
    if (this.opts.sameUid) {
      let owner: number;
      try {
        owner = this.facts.fileOwner(core);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new GoError(GoErrorCode.BAD_CORE, `core file ${core}: no such file`);
        throw refuse(`cannot read the owner of ${core} (${errText(err)}); the bridge runs with --same-uid`);
      }
      const me = this.facts.myUid();
      if (owner !== me) throw refuse(`${core} belongs to uid ${owner}, not the bridge's uid ${me} (the bridge runs with --same-uid)`);
    }
  }
}
