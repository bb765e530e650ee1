// A program kept attached for /metrics by its executable's path (--scrape-attach /PATH): every
// process running that file, found again after the program restarts, so a service's series
// keep their `exe` label across restarts while the `pid` changes (drop it by relabelling; see
// scripts/deploy/prometheus). Each process found is a ScrapeTarget; one that is gone is
// let go, so a restart does not leave its old pid down in /healthz forever.
import { readdir, readlink } from 'node:fs/promises';
import type { Logger } from '../log.ts';
import type { TargetManager } from './manager.ts';
import { ScrapeTarget } from './scrape.ts';

/** How often /proc is scanned for processes of the program. */
const RESCAN_MS = 1000;

/** Pids whose /proc/PID/exe is `path` (or was: a binary replaced on disk reads "(deleted)"). */
export async function pidsRunning(path: string): Promise<number[]> {
  const pids: number[] = [];
  await Promise.all(
    (await readdir('/proc')).map(async (e) => {
      if (!/^\d+$/.test(e) || Number(e) === process.pid) return;
      const exe = await readlink(`/proc/${e}/exe`).catch(() => undefined);
      if (exe === path || exe === `${path} (deleted)`) pids.push(Number(e));
    }),
  );
  return pids.sort((a, b) => a - b);
}

export class ScrapeProgram {
  private readonly targets = new Map<number, ScrapeTarget>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private closed = false;

  constructor(
    private readonly manager: TargetManager,
    readonly path: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.scan();
    this.timer = setInterval(() => void this.scan(), RESCAN_MS);
    this.timer.unref();
  }

  /** The pids attached (or being attached) now. */
  get pids(): number[] {
    return [...this.targets.keys()];
  }

  private async scan(): Promise<void> {
    if (this.scanning || this.closed) return;
    this.scanning = true;
    try {
      const now = new Set(await pidsRunning(this.path));
      if (this.closed) return;
      for (const [pid, target] of this.targets) {
        if (now.has(pid)) continue;
        this.log.info({ program: this.path, pid }, 'a process of the scraped program is gone');
        target.close();
        this.manager.unpin({ pid });
        this.targets.delete(pid);
      }
      for (const pid of now) {
        if (this.targets.has(pid)) continue;
        this.log.info({ program: this.path, pid }, 'attaching a process of the scraped program');
        const target = new ScrapeTarget(this.manager, { pid }, this.intervalMs, this.log);
        this.targets.set(pid, target);
        target.start();
      }
    } catch (err) {
      this.log.warn({ err, program: this.path }, 'cannot scan /proc for the scraped program');
    } finally {
      this.scanning = false;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.targets.values()) t.close();
    this.targets.clear();
  }
}
