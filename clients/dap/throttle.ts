// Rate limits for what the adapter sends per sample, so a 10 ms interval does not flood the client.

/**
 * Trailing-edge throttle: `fn` runs at most once per `ms`, and a call inside the window is not
 * lost but deferred to its end, so the last sample is always shown. `ms` 0 runs every call.
 */
export class Throttle {
  private last = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}

  call(): void {
    if (this.timer) return;
    const wait = this.last + this.ms - performance.now();
    if (wait <= 0) return this.run();
    this.timer = setTimeout(() => this.run(), wait);
  }

  private run(): void {
    this.timer = undefined;
    this.last = performance.now();
    this.fn();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Leading-edge gate: true at most once per `ms` (what falls in between is skipped). */
export class Gate {
  private last = -Infinity;

  constructor(private readonly ms: number) {}

  pass(): boolean {
    const now = performance.now();
    if (now - this.last < this.ms) return false;
    this.last = now;
    return true;
  }
}
