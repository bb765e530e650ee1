// Is the target stopped for longer than a moment while we are attached? Our own consistent
// stop lasts milliseconds and a signal passing through gdb microseconds; a thread that stays
// stopped for a second means something is wrong (gdb wedged, a stop nobody resumed), and the
// user must see it. Pure: the reader feeds it observations.

export interface StopObservation {
  /** ms clock of the observation */
  at: number;
  /** when our own whole-process stop began, if one is in progress */
  ownStopSince: number | undefined;
  /**
   * Thread ids seen stopped (t or T) outside our own stop, or undefined when this observation
   * says nothing about them (not observable, or our stop overlapped the look).
   */
  stopped: readonly number[] | undefined;
}

export interface LastingStop {
  /** `ours`: our own stop has not ended; `other`: threads stopped outside any stop of ours */
  cause: 'ours' | 'other';
  stoppedMs: number;
  /** the lasting-stopped thread ids (empty for `ours`: every thread) */
  threads: number[];
}

export class LastingStopDetector {
  /** tid → when it was first seen stopped, in a row of observations that all saw it stopped */
  private readonly since = new Map<number, number>();

  constructor(private readonly thresholdMs = 1000) {}

  observe(o: StopObservation): LastingStop | undefined {
    if (o.ownStopSince !== undefined) {
      const ms = o.at - o.ownStopSince;
      return ms >= this.thresholdMs ? { cause: 'ours', stoppedMs: ms, threads: [] } : undefined;
    }
    if (o.stopped === undefined) return undefined;
    const now = new Set(o.stopped);
    for (const tid of this.since.keys()) if (!now.has(tid)) this.since.delete(tid);
    for (const tid of now) if (!this.since.has(tid)) this.since.set(tid, o.at);
    let longest = 0;
    const threads: number[] = [];
    for (const [tid, t0] of this.since) {
      const ms = o.at - t0;
      if (ms >= this.thresholdMs) threads.push(tid);
      longest = Math.max(longest, ms);
    }
    return threads.length > 0 ? { cause: 'other', stoppedMs: longest, threads: threads.sort((a, b) => a - b) } : undefined;
  }
}

export interface StopWatcherHandlers {
  /** the target has been held for over a second (called once per episode) */
  lasting(stop: LastingStop): void;
  /** a reported episode is over */
  over(): void;
}

/**
 * The detector on a timer, from the moment gdb starts attaching until it is gone. `look`
 * returns the held thread ids (undefined where they cannot be seen); the reader marks its own
 * whole-process stops, and a look that overlaps one is not counted.
 */
export class StopWatcher {
  private readonly detector: LastingStopDetector;
  private timer: NodeJS.Timeout | undefined;
  private ownSince: number | undefined;
  private ownSeq = 0;
  private reported: LastingStop | undefined;

  constructor(
    private readonly look: () => readonly number[] | undefined,
    private handlers: StopWatcherHandlers,
    opts: { pollMs?: number; thresholdMs?: number } = {},
  ) {
    this.detector = new LastingStopDetector(opts.thresholdMs);
    this.timer = setInterval(() => this.tick(), opts.pollMs ?? 250);
    this.timer.unref();
  }

  /** Who is told from now on (the attach phase and the reader differ). */
  setHandlers(h: StopWatcherHandlers): void {
    this.handlers = h;
  }

  /** The lasting stop reported and not over yet. */
  get lasting(): LastingStop | undefined {
    return this.reported;
  }

  beginOwnStop(): void {
    this.ownSince = Date.now();
    this.ownSeq++;
  }

  endOwnStop(): void {
    this.ownSince = undefined;
    this.ownSeq++;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const seq = this.ownSeq;
    let stopped = this.ownSince === undefined ? this.look() : undefined;
    // Our own stop began or ended during the look: what it saw says nothing.
    if (seq !== this.ownSeq || this.ownSince !== undefined) stopped = undefined;
    const lasting = this.detector.observe({ at: Date.now(), ownStopSince: this.ownSince, stopped });
    if (lasting && !this.reported) {
      this.reported = lasting;
      this.handlers.lasting(lasting);
    } else if (!lasting && this.reported && (stopped !== undefined || this.ownSince === undefined)) {
      this.reported = undefined;
      this.handlers.over();
    }
  }
}
