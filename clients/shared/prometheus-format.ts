// Prometheus text exposition format 0.0.4 of MemStats readings: pure, no I/O, no Node APIs.
// The bridge's `/metrics` and `mstat --format prom` both write it, so one target reads the
// same through either.
//
// The Go metrics use exactly the names, types and HELP texts of client_golang's Go collector
// (checked against the output of client_golang v1.25.0 `collectors.NewGoCollector()`, see
// test/unit/metrics.test.ts), so dashboards and alerts written for an instrumented Go program
// work unchanged; every series carries `pid` and `exe` labels naming the target. Like the
// current client_golang (Go ≥ 1.17 build) there is no go_memstats_lookups_total (removed in
// v1.20: always 0) and no go_memstats_gc_cpu_fraction (only in its Go 1.16 build). The
// collector's other series (go_goroutines, go_threads, go_gc_gogc_percent,
// go_gc_gomemlimit_bytes, go_sched_gomaxprocs_threads) come from the reading's runtime
// counters, and the process collector's (process_*) from its /proc facts, when it has them.
//
// Numbers are written exactly: uint64 values as the bigint's decimal digits (NextGC is ≈ 2^63
// with GOGC=off), nanosecond values as exact decimal seconds (`1795679846.145262866`).
// Prometheus itself parses them into float64; the text loses nothing before that.
import { MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats, type MemStatsU64Field } from '../../protocol/memstats.ts';
import type { ProcessStats, RuntimeStats } from '../../protocol/process-stats.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import type { Reading } from './reading.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsTarget {
  target: TargetInfo;
  /** The latest reading; undefined when not read yet (the target then gets only go_info). */
  sample: Reading | undefined;
}

export type MetricType = 'gauge' | 'counter' | 'summary';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
}

/** client_golang's MemStats-like metrics (go_collector.go goRuntimeMemStats), in its order. */
export const GO_MEMSTATS_METRICS: ReadonlyArray<MetricDef & { field: MemStatsU64Field }> = [
  { field: 'Alloc', name: 'go_memstats_alloc_bytes', type: 'gauge', help: 'Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.' },
  { field: 'TotalAlloc', name: 'go_memstats_alloc_bytes_total', type: 'counter', help: 'Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.' },
  { field: 'Sys', name: 'go_memstats_sys_bytes', type: 'gauge', help: 'Number of bytes obtained from system. Equals to /memory/classes/total:byte.' },
  {
    field: 'Mallocs',
    name: 'go_memstats_mallocs_total',
    type: 'counter',
    help: 'Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.',
  },
  { field: 'Frees', name: 'go_memstats_frees_total', type: 'counter', help: 'Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.' },
  { field: 'HeapAlloc', name: 'go_memstats_heap_alloc_bytes', type: 'gauge', help: 'Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.' },
  {
    field: 'HeapSys',
    name: 'go_memstats_heap_sys_bytes',
    type: 'gauge',
    help: 'Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.',
  },
  { field: 'HeapIdle', name: 'go_memstats_heap_idle_bytes', type: 'gauge', help: 'Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.' },
  // (sic: client_golang's text has no final period here)
  { field: 'HeapInuse', name: 'go_memstats_heap_inuse_bytes', type: 'gauge', help: 'Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes' },
  { field: 'HeapReleased', name: 'go_memstats_heap_released_bytes', type: 'gauge', help: 'Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.' },
  { field: 'HeapObjects', name: 'go_memstats_heap_objects', type: 'gauge', help: 'Number of currently allocated objects. Equals to /gc/heap/objects:objects.' },
  { field: 'StackInuse', name: 'go_memstats_stack_inuse_bytes', type: 'gauge', help: 'Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.' },
  { field: 'StackSys', name: 'go_memstats_stack_sys_bytes', type: 'gauge', help: 'Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.' },
  { field: 'MSpanInuse', name: 'go_memstats_mspan_inuse_bytes', type: 'gauge', help: 'Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.' },
  {
    field: 'MSpanSys',
    name: 'go_memstats_mspan_sys_bytes',
    type: 'gauge',
    help: 'Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.',
  },
  { field: 'MCacheInuse', name: 'go_memstats_mcache_inuse_bytes', type: 'gauge', help: 'Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.' },
  {
    field: 'MCacheSys',
    name: 'go_memstats_mcache_sys_bytes',
    type: 'gauge',
    help: 'Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.',
  },
  { field: 'BuckHashSys', name: 'go_memstats_buck_hash_sys_bytes', type: 'gauge', help: 'Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.' },
  { field: 'GCSys', name: 'go_memstats_gc_sys_bytes', type: 'gauge', help: 'Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.' },
  { field: 'OtherSys', name: 'go_memstats_other_sys_bytes', type: 'gauge', help: 'Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.' },
  { field: 'NextGC', name: 'go_memstats_next_gc_bytes', type: 'gauge', help: 'Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.' },
];

/** client_golang's base Go collector metrics that a MemStats can feed (go_collector.go newBaseGoCollector). */
export const GO_BASE_METRICS = {
  gcDuration: { name: 'go_gc_duration_seconds', type: 'summary', help: 'A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.' },
  lastGc: { name: 'go_memstats_last_gc_time_seconds', type: 'gauge', help: 'Number of seconds since 1970 of last garbage collection.' },
  info: { name: 'go_info', type: 'gauge', help: 'Information about the Go environment.' },
  goroutines: { name: 'go_goroutines', type: 'gauge', help: 'Number of goroutines that currently exist.' },
  threads: { name: 'go_threads', type: 'gauge', help: 'Number of OS threads created.' },
} as const satisfies Record<string, MetricDef>;

/** client_golang's runtime/metrics series in its default Go collector (HELP as Go 1.26 describes them). */
export const GO_RUNTIME_METRICS = {
  gogc: {
    name: 'go_gc_gogc_percent',
    type: 'gauge',
    help: 'Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.',
  },
  gomemlimit: {
    name: 'go_gc_gomemlimit_bytes',
    type: 'gauge',
    help: 'Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.',
  },
  gomaxprocs: {
    name: 'go_sched_gomaxprocs_threads',
    type: 'gauge',
    help: 'The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.',
  },
} as const satisfies Record<string, MetricDef>;

/** client_golang's process collector (procfs), in its order. */
export const PROCESS_METRICS = {
  cpu: { name: 'process_cpu_seconds_total', type: 'counter', help: 'Total user and system CPU time spent in seconds.' },
  openFds: { name: 'process_open_fds', type: 'gauge', help: 'Number of open file descriptors.' },
  maxFds: { name: 'process_max_fds', type: 'gauge', help: 'Maximum number of open file descriptors.' },
  virtual: { name: 'process_virtual_memory_bytes', type: 'gauge', help: 'Virtual memory size in bytes.' },
  virtualMax: { name: 'process_virtual_memory_max_bytes', type: 'gauge', help: 'Maximum amount of virtual memory available in bytes.' },
  resident: { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes.' },
  startTime: { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since unix epoch in seconds.' },
  networkReceive: { name: 'process_network_receive_bytes_total', type: 'counter', help: 'Number of bytes received by the process over the network.' },
  networkTransmit: { name: 'process_network_transmit_bytes_total', type: 'counter', help: 'Number of bytes sent by the process over the network.' },
} as const satisfies Record<string, MetricDef>;

/** Per-target facts about the reading itself (named for the bridge, which served them first). */
export const SAMPLE_METRICS = {
  readSeconds: { name: 'mstat_bridge_sample_read_seconds', type: 'gauge', help: 'Wall time the last sample of the target took to read, retries included.' },
  pauseSeconds: { name: 'mstat_bridge_sample_pause_seconds', type: 'gauge', help: 'Time the target was stopped for the last sample (0 in live mode).' },
  timestamp: { name: 'mstat_bridge_sample_timestamp_seconds', type: 'gauge', help: 'Unix time at which the last sample of the target was taken.' },
  torn: { name: 'mstat_bridge_sample_torn', type: 'gauge', help: '1 if the last sample is still torn after its retries (values may be inconsistent), else 0.' },
  estimated: { name: 'mstat_bridge_sample_estimated', type: 'gauge', help: '1 for each MemStats field of the last sample that is estimated rather than exact (label field: the Go field name).' },
  estimatedBound: { name: 'mstat_bridge_sample_estimated_bound_bytes', type: 'gauge', help: 'Bound of an estimated MemStats field of the last sample: the exact value is within plus or minus this.' },
} as const satisfies Record<string, MetricDef>;

/** GC pause quantiles as client_golang exports them: min, 25%, 50%, 75%, max. */
export const GC_QUANTILES = ['0', '0.25', '0.5', '0.75', '1'] as const;

/**
 * The five pause quantiles (ns) of debug.ReadGCStats with len(PauseQuantiles) == 5, which
 * client_golang uses: the min(NumGC, 256) most recent pauses of the ring, sorted; quantile i
 * of 4 is sorted[n*i/4], the last is the max. All zero before the first GC.
 */
export function gcPauseQuantiles(m: Pick<MemStats, 'PauseNs' | 'NumGC'>): bigint[] {
  const n = Math.min(m.NumGC, PAUSE_RING);
  if (n === 0) return [0n, 0n, 0n, 0n, 0n];
  const recent: bigint[] = [];
  for (let i = 0; i < n; i++) recent.push(m.PauseNs[(m.NumGC - 1 - i) % PAUSE_RING] ?? 0n);
  recent.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const nq = GC_QUANTILES.length - 1;
  const q: bigint[] = [];
  for (let i = 0; i < nq; i++) q.push(recent[Math.floor((n * i) / nq)]!);
  q.push(recent[n - 1]!);
  return q;
}

/** Nanoseconds as exact decimal seconds: 1795679846145262866n → "1795679846.145262866". */
export function nsToSeconds(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const whole = a / 1_000_000_000n;
  const frac = a % 1_000_000_000n;
  let s = whole.toString();
  if (frac !== 0n) s += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return neg ? '-' + s : s;
}

/** A label value escaped per the text format: backslash, double quote, line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** A HELP text escaped per the text format: backslash, line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

export type Labels = ReadonlyArray<readonly [string, string]>;

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return '';
  return '{' + labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',') + '}';
}

/** Collects series per metric family; writes one HELP/TYPE block per family. */
export class Exposition {
  private readonly families = new Map<string, { def: MetricDef; lines: string[] }>();

  add(def: MetricDef, labels: Labels, value: string, suffix = ''): void {
    let f = this.families.get(def.name);
    if (!f) {
      f = { def, lines: [] };
      this.families.set(def.name, f);
    }
    f.lines.push(`${def.name}${suffix}${formatLabels(labels)} ${value}`);
  }

  /** Families sorted by name, like client_golang's registry; a family with no series is left out. */
  text(): string {
    let out = '';
    for (const name of [...this.families.keys()].sort()) {
      const { def, lines } = this.families.get(name)!;
      if (lines.length === 0) continue;
      out += `# HELP ${name} ${escapeHelp(def.help)}\n# TYPE ${name} ${def.type}\n`;
      for (const l of lines) out += l + '\n';
    }
    return out;
  }
}

/** One target's series: go_info always, the rest only once it has a reading. */
export function addTargetMetrics(x: Exposition, { target, sample }: MetricsTarget): void {
  const id: Labels = [
    ['pid', String(target.pid)],
    ['exe', target.exe],
  ];
  x.add(GO_BASE_METRICS.info, [...id, ['version', target.goVersion]], '1');
  if (!sample) return;
  const m = sample.memstats;

  const q = gcPauseQuantiles(m);
  GC_QUANTILES.forEach((quantile, i) => x.add(GO_BASE_METRICS.gcDuration, [...id, ['quantile', quantile]], nsToSeconds(q[i]!)));
  x.add(GO_BASE_METRICS.gcDuration, id, nsToSeconds(m.PauseTotalNs), '_sum');
  x.add(GO_BASE_METRICS.gcDuration, id, String(m.NumGC), '_count');
  x.add(GO_BASE_METRICS.lastGc, id, nsToSeconds(m.LastGC));
  for (const def of GO_MEMSTATS_METRICS) x.add(def, id, m[def.field].toString());

  addRuntimeMetrics(x, id, sample.runtime);
  addProcessMetrics(x, id, sample.process);

  x.add(SAMPLE_METRICS.readSeconds, id, nsToSeconds(sample.meta.readNs));
  x.add(SAMPLE_METRICS.pauseSeconds, id, nsToSeconds(sample.meta.pauseNs));
  x.add(SAMPLE_METRICS.timestamp, id, nsToSeconds(BigInt(sample.time.getTime()) * 1_000_000n));
  x.add(SAMPLE_METRICS.torn, id, sample.meta.torn.length > 0 ? '1' : '0');
  for (const field of MEMSTATS_U64_FIELDS) {
    const e = sample.estimated[field];
    if (!e) continue;
    x.add(SAMPLE_METRICS.estimated, [...id, ['field', field]], '1');
    x.add(SAMPLE_METRICS.estimatedBound, [...id, ['field', field]], e.bound.toString());
  }
}

function addRuntimeMetrics(x: Exposition, id: Labels, r: RuntimeStats | undefined): void {
  if (!r) return;
  if (r.goroutines !== undefined) x.add(GO_BASE_METRICS.goroutines, id, String(r.goroutines));
  if (r.threads !== undefined) x.add(GO_BASE_METRICS.threads, id, String(r.threads));
  // runtime/metrics reports uint64(gcPercent): GOGC=off (-1) reads as 2^64-1, as client_golang shows it.
  x.add(GO_RUNTIME_METRICS.gogc, id, BigInt.asUintN(64, BigInt(r.gcPercent)).toString());
  x.add(GO_RUNTIME_METRICS.gomemlimit, id, r.memoryLimit.toString());
  x.add(GO_RUNTIME_METRICS.gomaxprocs, id, String(r.gomaxprocs));
}

function addProcessMetrics(x: Exposition, id: Labels, p: ProcessStats | undefined): void {
  if (!p) return;
  x.add(PROCESS_METRICS.cpu, id, String(p.cpuSeconds));
  x.add(PROCESS_METRICS.openFds, id, String(p.openFds));
  x.add(PROCESS_METRICS.maxFds, id, p.maxFds.toString());
  x.add(PROCESS_METRICS.virtual, id, p.virtualBytes.toString());
  x.add(PROCESS_METRICS.virtualMax, id, p.virtualMaxBytes.toString());
  x.add(PROCESS_METRICS.resident, id, p.residentBytes.toString());
  x.add(PROCESS_METRICS.startTime, id, String(p.startTimeSeconds));
  if (p.networkReceiveBytes !== undefined) x.add(PROCESS_METRICS.networkReceive, id, p.networkReceiveBytes.toString());
  if (p.networkTransmitBytes !== undefined) x.add(PROCESS_METRICS.networkTransmit, id, p.networkTransmitBytes.toString());
}

/** The targets' metrics as one exposition; series of a family follow the order of `targets`. */
export function renderTargetMetrics(targets: ReadonlyArray<MetricsTarget>): string {
  const x = new Exposition();
  for (const t of targets) addTargetMetrics(x, t);
  return x.text();
}
