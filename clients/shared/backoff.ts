// Exponential backoff with jitter and a cap, for reconnects: many clients of one bridge that
// lost it together must not all come back in the same millisecond.

export interface BackoffOptions {
  /** first delay (ms) */
  initialMs?: number;
  /** largest delay (ms) */
  maxMs?: number;
  factor?: number;
  /** fraction of the delay that is random (0..1) */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.3 };

/** Delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...opts };
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - o.jitter + o.jitter * random()));
}
