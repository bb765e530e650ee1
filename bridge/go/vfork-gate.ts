// Holds a consistent stop back while a vfork (os/exec) is in flight. gdb 13 in non-stop mode
// holds the other threads itself while a vfork child runs on the parent's memory, and an
// -exec-interrupt --all that lands before the child has exec'd or exited (or before gdb has
// handled the vfork's end) left every thread in tracing stop while gdb believed them
// running (reproduced 3 of 3; the target frozen until gdb was gone).
import type { TargetAccess } from './target-access.ts';

/** gdb's console notice of a vfork; nothing reports the vfork's end. */
const VFORK_NOTICE = /^\[Detaching after vfork from child process (\d+)\]\n?$/;
/** How long a stop waits for vforks in flight to end (then it goes ahead). */
const WAIT_MS = 250;
/** Where a vfork child cannot be seen (remote), how long after gdb's notice it counts as done. */
const BLIND_MS = 100;

export class VforkGate {
  /** vfork children (pid → when gdb reported them) that may not have exec'd or exited yet */
  private readonly children = new Map<number, number>();

  constructor(private readonly access: Pick<TargetAccess, 'childExeced' | 'stoppedThreads'>) {}

  /** Feed every console line of gdb here. */
  notice(text: string): void {
    const m = VFORK_NOTICE.exec(text);
    if (m) this.children.set(Number(m[1]), Date.now());
  }

  /**
   * Resolves once the vforks gdb reported have ended: each child exec'd or exited and no
   * thread of the target waits in a ptrace stop any more (gdb holds them there until it has
   * handled the vfork's end); or after WAIT_MS. Returns the children still running then.
   */
  async settle(): Promise<number[]> {
    if (this.children.size === 0) return [];
    const end = Date.now() + WAIT_MS;
    for (;;) {
      for (const [child, seen] of this.children) {
        const done = this.access.childExeced?.(child);
        if (done === true || (done === undefined && Date.now() - seen > BLIND_MS)) this.children.delete(child);
      }
      if (this.children.size === 0 && (this.access.stoppedThreads?.().length ?? 0) === 0) return [];
      if (Date.now() >= end) {
        const left = [...this.children.keys()];
        this.children.clear();
        return left;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}
