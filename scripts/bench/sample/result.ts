// What bench-sample measures per target: series of wall times and target-side gaps per operation.
import type { FixtureBuild } from '../../kit/fixtures.ts';

export interface Series {
  wall: number[];
  gap: number[];
  failures: string[];
}
export const series = (): Series => ({ wall: [], gap: [], failures: [] });

export interface LiveStats extends Series {
  readNs: number[];
  reads: number[];
  bytes: number[];
  torn: number;
  retried: number;
  pauseNs: number[];
}
export const liveStats = (): LiveStats => ({ ...series(), readNs: [], reads: [], bytes: [], torn: 0, retried: 0, pauseNs: [] });

export interface Result {
  build: FixtureBuild;
  size: number;
  goVersion: string;
  liveRunning: LiveStats;
  livePaused: LiveStats;
  consistent: LiveStats;
  idleRunning: Series;
  idlePaused: Series;
  idleConsistent: Series;
  idleLong: Series;
  classicOutput: string;
  cold: Series;
  coldCommands: number[];
  warm: Series;
  cli: Series;
  classic: Series;
  gapSource: string;
  seconds: number;
}
