// Prometheus `/metrics` for every attached target: the shared per-target exposition
// (clients/shared/prometheus-format.ts, also written by `mstat --format prom`) plus the
// bridge's own gauges, which only the server knows. Pure, no I/O.
import { Exposition, addTargetMetrics, SAMPLE_METRICS, type MetricDef, type MetricsTarget } from '../../clients/shared/prometheus-format.ts';

export {
  escapeHelp,
  escapeLabelValue,
  GC_QUANTILES,
  gcPauseQuantiles,
  GO_BASE_METRICS,
  GO_MEMSTATS_METRICS,
  METRICS_CONTENT_TYPE,
  nsToSeconds,
  type MetricsTarget,
} from '../../clients/shared/prometheus-format.ts';

/** What the bridge knows of one target's health (targets/health.ts), whether or not it has a sample. */
export interface TargetHealthFacts {
  /** targetKey(): pid:N, ssh:HOST:N, core:PATH */
  target: string;
  /** the process id, when the target names one */
  pid: number | undefined;
  up: boolean;
  errors: ReadonlyArray<readonly [code: string, count: number]>;
  unexpectedStops: number;
}

export interface RenderMetricsOptions {
  /** Bridge-wide gauges; omitted when absent. */
  bridge?: { targets: number; subscribers: number } | undefined;
  /** Per-target health: attached and read, or down (and why, by error code). */
  health?: ReadonlyArray<TargetHealthFacts> | undefined;
}

/** The bridge's own gauges. */
export const BRIDGE_GAUGES = {
  targets: { name: 'mstat_bridge_targets', type: 'gauge', help: 'Number of Go processes the bridge is attached to.' },
  subscribers: { name: 'mstat_bridge_subscribers', type: 'gauge', help: 'Number of clients subscribed to targets of this bridge.' },
} as const satisfies Record<string, MetricDef>;

/** Per-target health series, also for targets that cannot be read (a --scrape-attach target that is down). */
export const TARGET_HEALTH_METRICS = {
  up: { name: 'mstat_bridge_target_up', type: 'gauge', help: '1 if the target is attached, read and running; 0 if it cannot be read or has been stopped for over a second (see /healthz for why).' },
  errors: { name: 'mstat_bridge_target_errors_total', type: 'counter', help: 'Errors reported about the target, by wire error code.' },
  unexpectedStops: { name: 'mstat_bridge_target_unexpected_stops_total', type: 'counter', help: 'Threads of the target stopped by something the bridge did not ask for, and resumed at once.' },
} as const satisfies Record<string, MetricDef>;

/** Every mstat_bridge_* metric: the gauges, the per-target health and the per-target sample facts. */
export const BRIDGE_METRICS = { ...BRIDGE_GAUGES, ...TARGET_HEALTH_METRICS, ...SAMPLE_METRICS } as const;

/**
 * Every attached target's metrics in the Prometheus text format 0.0.4. Series of a family
 * follow the order of `targets`. A target without a sample gets only go_info.
 */
export function renderMetrics(targets: ReadonlyArray<MetricsTarget>, opts: RenderMetricsOptions = {}): string {
  const x = new Exposition();
  if (opts.bridge) {
    x.add(BRIDGE_GAUGES.targets, [], String(opts.bridge.targets));
    x.add(BRIDGE_GAUGES.subscribers, [], String(opts.bridge.subscribers));
  }
  for (const h of opts.health ?? []) {
    const id = [
      ['pid', h.pid === undefined ? '' : String(h.pid)],
      ['target', h.target],
    ] as const;
    x.add(TARGET_HEALTH_METRICS.up, id, h.up ? '1' : '0');
    x.add(TARGET_HEALTH_METRICS.unexpectedStops, id, String(h.unexpectedStops));
    for (const [code, n] of h.errors) x.add(TARGET_HEALTH_METRICS.errors, [...id, ['code', code]], String(n));
  }
  for (const t of targets) addTargetMetrics(x, t);
  return x.text();
}
