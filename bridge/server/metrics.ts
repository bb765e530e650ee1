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

export interface RenderMetricsOptions {
  /** Bridge-wide gauges; omitted when absent. */
  bridge?: { targets: number; subscribers: number } | undefined;
}

/** The bridge's own gauges. */
export const BRIDGE_GAUGES = {
  targets: { name: 'mstat_bridge_targets', type: 'gauge', help: 'Number of Go processes the bridge is attached to.' },
  subscribers: { name: 'mstat_bridge_subscribers', type: 'gauge', help: 'Number of clients subscribed to targets of this bridge.' },
} as const satisfies Record<string, MetricDef>;

/** Every mstat_bridge_* metric: the gauges and the per-target sample facts. */
export const BRIDGE_METRICS = { ...BRIDGE_GAUGES, ...SAMPLE_METRICS } as const;

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
  for (const t of targets) addTargetMetrics(x, t);
  return x.text();
}
