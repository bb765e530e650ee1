// The messages between bench-bridge and its load worker (scripts/bench/bridge/load-worker.ts), over
// the worker's IPC channel: start, mark the window, report, stop; ready and the report back.

export type Mode = 'live' | 'consistent';

export interface LoadStart {
  type: 'start';
  url: string;
  pid: number;
  conns: number;
  subsPerConn: number;
  intervalMs: number;
  mode: Mode;
  concurrency: number;
  lifetimeMs: number;
}
export type ToLoad = LoadStart | { type: 'mark' } | { type: 'report' } | { type: 'stop' };

export interface LoadReady {
  type: 'ready';
  connected: number;
  connectFailed: number;
  subscribed: number;
  subscribeFailed: number;
  errors: Record<string, number>;
  connectMs: number;
}
export interface LoadReport {
  type: 'report';
  windowMs: number;
  /** samples per subscription inside the window */
  perSub: number[];
  frames: number;
  bytes: number;
  seqGaps: number;
  dropped: number;
  /** distinct sample times seen = reads of the target that reached a subscriber */
  reads: number;
  readNsMedian: number;
  readNsP95: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  /** arrival seq 1 → seq 2, per subscription (whole run) */
  firstIntervalMedianMs: number;
  firstIntervalMinMs: number;
  errors: Record<string, number>;
  closes: number;
  exited: number;
  openNow: number;
}
export type FromLoad = LoadReady | LoadReport | { type: 'fatal'; message: string };
