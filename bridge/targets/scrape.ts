// Targets kept attached for /metrics without a WebSocket client (--scrape-attach). One that
// cannot be read (not started yet, exited, refused, stripped without its copy) stays visible:
// down with the reason in /healthz and mstat_bridge_target_up, and tried again with backoff.
import type { Logger } from '../log.ts';
import type { TargetRef } from '../../protocol/target.ts';
import type { TargetManager } from './manager.ts';

/** Waits between attempts; the last one repeats. */
const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

export class ScrapeTarget {
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly manager: TargetManager,
    private readonly ref: TargetRef,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {
    manager.pin(ref);
  }

  /** Attaches now (and again whenever the target is lost). */
  start(): void {
    if (this.closed) return;
    this.manager
      .subscribe(this.ref, {
        intervalMs: this.intervalMs,
        mode: 'live',
        onSample: () => {
          this.failures = 0;
        },
        onExit: () => this.lost('scrape target exited'),
        onError: (err, final) => {
          this.log.warn({ err, target: this.ref }, 'scrape target error');
          if (final) this.lost('scrape target cannot be read');
        },
      })
      .then((s) => {
        if (this.closed) s.unsubscribe();
        else this.unsubscribe = s.unsubscribe;
      })
      .catch((err: unknown) => {
        this.log.error({ err, target: this.ref }, 'cannot attach scrape target');
        this.lost();
      });
  }

  private lost(why?: string): void {
    this.unsubscribe = undefined;
    if (this.closed) return;
    const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    if (why) this.log.warn({ target: this.ref, retryInMs: wait }, why);
    this.timer = setTimeout(() => this.start(), wait);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
  }
}
