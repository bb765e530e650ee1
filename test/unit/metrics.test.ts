// bridge/server/metrics.ts: MemStats → Prometheus text format 0.0.4. Names, types and HELP
// texts against a real client_golang output; exact values from a recorded sample (uint64s
// beyond 2^53 included); label escaping; GC pause quantiles as debug.ReadGCStats computes them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Sample } from '../../bridge/go/target.ts';
import {
  BRIDGE_METRICS,
  gcPauseQuantiles,
  GO_MEMSTATS_METRICS,
  METRICS_CONTENT_TYPE,
  nsToSeconds,
  renderMetrics,
  type MetricsTarget,
} from '../../bridge/server/metrics.ts';
import { BY_SIZE_ENTRIES, MEMSTATS_FIELDS, MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import { family, parseExposition } from '../support/exposition.ts';

// ------------------------------------------------------------------ helpers

/**
 * HELP and TYPE lines of client_golang v1.25.0's default registry (Go and process collectors,
 * Go 1.26.8), encoded with expfmt: test/instrumented's own /metrics, every go_ and process_
 * family. (test/integration/metrics-client-golang.test.ts checks them against that program live.)
 */
const CLIENT_GOLANG_HELP_TYPE = `# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.
# TYPE go_gc_duration_seconds summary
# HELP go_gc_gogc_percent Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.
# TYPE go_gc_gogc_percent gauge
# HELP go_gc_gomemlimit_bytes Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.
# TYPE go_gc_gomemlimit_bytes gauge
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
# HELP go_info Information about the Go environment.
# TYPE go_info gauge
# HELP go_memstats_alloc_bytes Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.
# TYPE go_memstats_alloc_bytes gauge
# HELP go_memstats_alloc_bytes_total Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.
# TYPE go_memstats_alloc_bytes_total counter
# HELP go_memstats_buck_hash_sys_bytes Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.
# TYPE go_memstats_buck_hash_sys_bytes gauge
# HELP go_memstats_frees_total Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.
# TYPE go_memstats_frees_total counter
# HELP go_memstats_gc_sys_bytes Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.
# TYPE go_memstats_gc_sys_bytes gauge
# HELP go_memstats_heap_alloc_bytes Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.
# TYPE go_memstats_heap_alloc_bytes gauge
# HELP go_memstats_heap_idle_bytes Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.
# TYPE go_memstats_heap_idle_bytes gauge
# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes
# TYPE go_memstats_heap_inuse_bytes gauge
# HELP go_memstats_heap_objects Number of currently allocated objects. Equals to /gc/heap/objects:objects.
# TYPE go_memstats_heap_objects gauge
# HELP go_memstats_heap_released_bytes Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.
# TYPE go_memstats_heap_released_bytes gauge
# HELP go_memstats_heap_sys_bytes Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.
# TYPE go_memstats_heap_sys_bytes gauge
# HELP go_memstats_last_gc_time_seconds Number of seconds since 1970 of last garbage collection.
# TYPE go_memstats_last_gc_time_seconds gauge
# HELP go_memstats_mallocs_total Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.
# TYPE go_memstats_mallocs_total counter
# HELP go_memstats_mcache_inuse_bytes Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.
# TYPE go_memstats_mcache_inuse_bytes gauge
# HELP go_memstats_mcache_sys_bytes Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.
# TYPE go_memstats_mcache_sys_bytes gauge
# HELP go_memstats_mspan_inuse_bytes Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.
# TYPE go_memstats_mspan_inuse_bytes gauge
# HELP go_memstats_mspan_sys_bytes Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.
# TYPE go_memstats_mspan_sys_bytes gauge
# HELP go_memstats_next_gc_bytes Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.
# TYPE go_memstats_next_gc_bytes gauge
# HELP go_memstats_other_sys_bytes Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.
# TYPE go_memstats_other_sys_bytes gauge
# HELP go_memstats_stack_inuse_bytes Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.
# TYPE go_memstats_stack_inuse_bytes gauge
# HELP go_memstats_stack_sys_bytes Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.
# TYPE go_memstats_stack_sys_bytes gauge
# HELP go_memstats_sys_bytes Number of bytes obtained from system. Equals to /memory/classes/total:byte.
# TYPE go_memstats_sys_bytes gauge
# HELP go_sched_gomaxprocs_threads The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.
# TYPE go_sched_gomaxprocs_threads gauge
# HELP go_threads Number of OS threads created.
# TYPE go_threads gauge
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
# HELP process_max_fds Maximum number of open file descriptors.
# TYPE process_max_fds gauge
# HELP process_network_receive_bytes_total Number of bytes received by the process over the network.
# TYPE process_network_receive_bytes_total counter
# HELP process_network_transmit_bytes_total Number of bytes sent by the process over the network.
# TYPE process_network_transmit_bytes_total counter
# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
# HELP process_virtual_memory_max_bytes Maximum amount of virtual memory available in bytes.
# TYPE process_virtual_memory_max_bytes gauge`;

/**
 * Go's json.Marshal(runtime.MemStats) text → MemStats, bigint-exact: the text has no strings
 * but its keys, so every number can be quoted and parsed as text first.
 */
function parseMemStatsJson(text: string): MemStats {
  const raw = JSON.parse(text.replace(/(?<=[:[,])(-?[0-9][0-9.eE+-]*)(?=[,\]}])/g, '"$1"')) as Record<string, unknown>;
  if (Object.keys(raw).join() !== MEMSTATS_FIELDS.join()) throw new Error(`unexpected keys: ${Object.keys(raw).join()}`);
  const str = (v: unknown): string => {
    if (typeof v !== 'string') throw new Error(`not a number: ${JSON.stringify(v)}`);
    return v;
  };
  const ring = (k: string): bigint[] => (raw[k] as unknown[]).map((v) => BigInt(str(v)));
  const m = {
    PauseNs: ring('PauseNs'),
    PauseEnd: ring('PauseEnd'),
    NumGC: Number(str(raw.NumGC)),
    NumForcedGC: Number(str(raw.NumForcedGC)),
    GCCPUFraction: Number(str(raw.GCCPUFraction)),
    EnableGC: raw.EnableGC as boolean,
    DebugGC: raw.DebugGC as boolean,
    BySize: (raw.BySize as Array<Record<string, unknown>>).map((e) => ({ Size: Number(str(e.Size)), Mallocs: BigInt(str(e.Mallocs)), Frees: BigInt(str(e.Frees)) })),
  } as Partial<MemStats> as MemStats;
  for (const k of MEMSTATS_U64_FIELDS) m[k] = BigInt(str(raw[k]));
  if (m.PauseNs.length !== PAUSE_RING || m.BySize.length !== BY_SIZE_ENTRIES) throw new Error('bad array lengths');
  return m;
}

const recording = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'memstats', 'go1.26.8.json'), 'utf8')) as { expectedJson: string };
const recorded = (): MemStats => parseMemStatsJson(recording.expectedJson);

function sampleOf(memstats: MemStats, over: Partial<Sample> = {}): Sample {
  return {
    memstats,
    estimated: {},
    torn: [],
    flush: { spansFreed: 0, stackBytesFreed: 0n, totalAllocAdd: 0n, tinyAllocs: 0n, cachedSpans: 0 },
    time: new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 123)),
    meta: { mode: 'live', attempts: 1, torn: [], readNs: 2_345_678n, pauseNs: 0n, reads: 12, bytes: 4096 },
    runtime: { goroutines: 17, threads: 9, gomaxprocs: 4, gcPercent: -1, memoryLimit: (1n << 63n) - 1n },
    process: {
      cpuSeconds: 12.34, residentBytes: 52_428_800n, virtualBytes: 1_601_683_456n, virtualMaxBytes: (1n << 64n) - 1n,
      openFds: 11, maxFds: 20_000n, startTimeSeconds: 1796450046.43, networkReceiveBytes: 7_242_526_799n, networkTransmitBytes: 4_994_878_721n,
      time: '2026-06-01T12:00:00.000Z',
    },
    ...over,
  } as Sample;
}

const TARGET: TargetInfo = { pid: 4242, exe: '/opt/app/server', goVersion: 'go1.26.8', buildId: 'abc/def' };
const ID = 'pid="4242",exe="/opt/app/server"';

// ------------------------------------------------------------------ tests

t.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');

t.test('names, types and HELP texts are client_golang\'s, one block per name, sorted', async (t) => {
  const text = renderMetrics([{ target: TARGET, sample: sampleOf(recorded()) }]);
  const goHelpType = text.split('\n').filter((l) => /^# (HELP|TYPE) (go|process)_/.test(l));
  t.strictSame(goHelpType, CLIENT_GOLANG_HELP_TYPE.split('\n'), 'HELP/TYPE lines equal client_golang v1.25.0 output, in its order');
  const names = text.split('\n').filter((l) => l.startsWith('# HELP ')).map((l) => l.split(' ')[2]!);
  t.strictSame(names, [...names].sort(), 'families sorted by name (client_golang registry order)');
  t.equal(new Set(names).size, names.length, 'one HELP per name');
  t.notMatch(text, /go_memstats_lookups_total|go_memstats_gc_cpu_fraction/, 'no metric client_golang (Go ≥ 1.17 build) does not have');
});

t.test('recorded sample (go1.26.8): every value exact', async (t) => {
  const m = recorded();
  const fams = parseExposition(renderMetrics([{ target: TARGET, sample: sampleOf(m) }]));
  for (const def of GO_MEMSTATS_METRICS) {
    const f = family(fams, def.name);
    t.equal(f.series.length, 1, `${def.name}: one series`);
    t.equal(f.series[0]!.labelText, ID, `${def.name}: pid and exe labels`);
    t.equal(f.series[0]!.value, m[def.field].toString(), `${def.name} = ${def.field}`);
  }
  t.equal(family(fams, 'go_memstats_alloc_bytes').series[0]!.value, '13506408');
  t.equal(family(fams, 'go_memstats_next_gc_bytes').series[0]!.value, '248017642');
  // LastGC = 1795680723416481893 ns > 2^53: as a float it would be ...416481792.
  t.equal(family(fams, 'go_memstats_last_gc_time_seconds').series[0]!.value, '1795680723.416481893', 'LastGC in seconds, every ns digit kept');
  const gc = family(fams, 'go_gc_duration_seconds');
  t.strictSame(
    gc.series.map((s) => `${s.name}{${s.labelText}} ${s.value}`),
    [
      `go_gc_duration_seconds{${ID},quantile="0"} 0.000544223`,
      `go_gc_duration_seconds{${ID},quantile="0.25"} 0.000544223`,
      `go_gc_duration_seconds{${ID},quantile="0.5"} 0.000544223`,
      `go_gc_duration_seconds{${ID},quantile="0.75"} 0.000544223`,
      `go_gc_duration_seconds{${ID},quantile="1"} 0.000544223`,
      `go_gc_duration_seconds_sum{${ID}} 0.000544223`,
      `go_gc_duration_seconds_count{${ID}} 1`,
    ],
    'one GC (NumGC 1, PauseNs[0] 544223): every quantile is that pause',
  );
  t.strictSame(family(fams, 'go_info').series, [{ name: 'go_info', labels: { pid: '4242', exe: '/opt/app/server', version: 'go1.26.8' }, labelText: `${ID},version="go1.26.8"`, value: '1' }]);
  t.equal(family(fams, BRIDGE_METRICS.readSeconds.name).series[0]!.value, '0.002345678');
  t.equal(family(fams, BRIDGE_METRICS.pauseSeconds.name).series[0]!.value, '0');
  t.equal(family(fams, BRIDGE_METRICS.timestamp.name).series[0]!.value, '1780315200.123');
  t.equal(family(fams, BRIDGE_METRICS.torn.name).series[0]!.value, '0');
  t.notOk(fams.has(BRIDGE_METRICS.estimated.name), 'no estimated field: no estimated series (and no empty block)');
  t.notOk(fams.has(BRIDGE_METRICS.targets.name), 'no bridge gauges without opts.bridge');
});

t.test('uint64 values above 2^53 are written exactly', async (t) => {
  const m = recorded();
  m.NextGC = (1n << 63n) - 1n; // GOGC=off
  m.TotalAlloc = (1n << 64n) - 1n;
  m.Mallocs = (1n << 53n) + 1n;
  m.LastGC = (1n << 64n) - 1n;
  m.PauseTotalNs = 9_007_199_254_740_993n;
  const fams = parseExposition(renderMetrics([{ target: TARGET, sample: sampleOf(m) }]));
  t.equal(family(fams, 'go_memstats_next_gc_bytes').series[0]!.value, '9223372036854775807');
  t.equal(family(fams, 'go_memstats_alloc_bytes_total').series[0]!.value, '18446744073709551615');
  t.equal(family(fams, 'go_memstats_mallocs_total').series[0]!.value, '9007199254740993');
  t.equal(family(fams, 'go_memstats_last_gc_time_seconds').series[0]!.value, '18446744073.709551615');
  t.equal(family(fams, 'go_gc_duration_seconds').series.find((s) => s.name.endsWith('_sum'))!.value, '9007199.254740993');
});

t.test('nsToSeconds', async (t) => {
  t.equal(nsToSeconds(0n), '0');
  t.equal(nsToSeconds(1n), '0.000000001');
  t.equal(nsToSeconds(1_000_000_000n), '1');
  t.equal(nsToSeconds(1_500_000_000n), '1.5');
  t.equal(nsToSeconds(1795679846145262866n), '1795679846.145262866');
  t.equal(nsToSeconds(-1_500_000_000n), '-1.5');
});

t.test('label values escaped: backslash, double quote, newline', async (t) => {
  const exe = '/tmp/we"ird\\dir\nname \u00e9';
  const text = renderMetrics([{ target: { ...TARGET, exe, goVersion: 'go1.26.8 "X:nocoverageredesign"' }, sample: sampleOf(recorded()) }]);
  t.match(text, 'go_memstats_alloc_bytes{pid="4242",exe="/tmp/we\\"ird\\\\dir\\nname \u00e9"} 13506408\n', 'escaped in the text');
  t.match(text, 'version="go1.26.8 \\"X:nocoverageredesign\\""', 'go_info version escaped too');
  const fams = parseExposition(text);
  for (const [name, f] of fams) for (const s of f.series) t.equal(s.labels.exe, exe, `${name}: exe round-trips`);
  t.equal(text.split('\n').filter((l) => l.startsWith('go_memstats_alloc_bytes{')).length, 1, 'the newline did not split the line');
});

t.test('GC pause quantiles as debug.ReadGCStats computes them', async (t) => {
  const ring = (entries: Record<number, bigint>): bigint[] => {
    const r: bigint[] = new Array<bigint>(PAUSE_RING).fill(0n);
    for (const [i, v] of Object.entries(entries)) r[Number(i)] = v;
    return r;
  };
  t.strictSame(gcPauseQuantiles({ NumGC: 0, PauseNs: ring({ 3: 99n }) }), [0n, 0n, 0n, 0n, 0n], 'no GC yet: all zero');

  // 10 GCs in ring slots 0..9 (unsorted); slot 10 holds a stale value that is not read.
  const ten = ring({ 0: 500n, 1: 100n, 2: 1000n, 3: 300n, 4: 700n, 5: 200n, 6: 900n, 7: 400n, 8: 800n, 9: 600n, 10: 1_000_000n });
  // sorted: 100..1000; n=10: sorted[0], sorted[10*1/4=2], sorted[5], sorted[7], max
  t.strictSame(gcPauseQuantiles({ NumGC: 10, PauseNs: ten }), [100n, 300n, 600n, 800n, 1000n], 'n = 10');

  // 7 GCs: sorted[0], sorted[1], sorted[3], sorted[5], sorted[6]
  const seven = ring({ 0: 70n, 1: 10n, 2: 60n, 3: 20n, 4: 50n, 5: 30n, 6: 40n });
  t.strictSame(gcPauseQuantiles({ NumGC: 7, PauseNs: seven }), [10n, 20n, 40n, 60n, 70n], 'n = 7');

  // More GCs than the ring holds: all 256 slots, wherever the ring wrapped.
  const full = Array.from({ length: PAUSE_RING }, (_, i) => BigInt(((i * 37) % PAUSE_RING) + 1)); // a permutation of 1..256
  t.strictSame(gcPauseQuantiles({ NumGC: 1000, PauseNs: full }), [1n, 65n, 129n, 193n, 256n], 'NumGC 1000: the whole ring (sorted[0], [64], [128], [192], max)');

  const m = recorded();
  m.NumGC = 10;
  m.PauseNs = ten;
  m.PauseTotalNs = 5500n;
  const gc = family(parseExposition(renderMetrics([{ target: TARGET, sample: sampleOf(m) }])), 'go_gc_duration_seconds');
  t.strictSame(
    gc.series.map((s) => [s.name, s.labels.quantile ?? '', s.value]),
    [
      ['go_gc_duration_seconds', '0', '0.0000001'],
      ['go_gc_duration_seconds', '0.25', '0.0000003'],
      ['go_gc_duration_seconds', '0.5', '0.0000006'],
      ['go_gc_duration_seconds', '0.75', '0.0000008'],
      ['go_gc_duration_seconds', '1', '0.000001'],
      ['go_gc_duration_seconds_sum', '', '0.0000055'],
      ['go_gc_duration_seconds_count', '', '10'],
    ],
    'summary series: quantiles, _sum from PauseTotalNs, _count from NumGC',
  );
});

t.test('several targets: one block per name, a target without a sample gets only go_info', async (t) => {
  const a = recorded();
  const b = recorded();
  b.Alloc = 1n;
  const targets: MetricsTarget[] = [
    { target: TARGET, sample: sampleOf(a) },
    { target: { pid: 7, exe: '/bin/other', goVersion: 'go1.19.8', buildId: 'x' }, sample: sampleOf(b, { estimated: { GCSys: { kind: 'estimated', bound: 262144n, reason: 'r' }, Sys: { kind: 'estimated', bound: 262144n, reason: 'r' } } }) },
    { target: { pid: 9, exe: '/bin/new', goVersion: 'go1.27.3', buildId: 'y' }, sample: undefined },
  ];
  const torn = targets[1]!.sample!;
  torn.meta = { ...torn.meta, torn: ['statsSeq odd'] };
  const text = renderMetrics(targets, { bridge: { targets: 3, subscribers: 5 } });
  const fams = parseExposition(text);
  t.equal((text.match(/^# HELP go_memstats_alloc_bytes /gm) ?? []).length, 1, 'one HELP block for go_memstats_alloc_bytes');
  t.strictSame(
    family(fams, 'go_memstats_alloc_bytes').series.map((s) => [s.labels.pid, s.value]),
    [
      ['4242', '13506408'],
      ['7', '1'],
    ],
    'both sampled targets under it, in order',
  );
  t.strictSame(
    family(fams, 'go_info').series.map((s) => s.labelText),
    ['pid="4242",exe="/opt/app/server",version="go1.26.8"', 'pid="7",exe="/bin/other",version="go1.19.8"', 'pid="9",exe="/bin/new",version="go1.27.3"'],
    'go_info for every target',
  );
  const pid9 = [...fams.values()].flatMap((f) => f.series).filter((s) => s.labels.pid === '9');
  t.strictSame(pid9.map((s) => s.name), ['go_info'], 'the target without a sample: go_info only');
  t.equal(family(fams, 'go_gc_duration_seconds').series.length, 14, 'two summaries of 7 series');
  t.strictSame(family(fams, 'mstat_bridge_targets').series.map((s) => [s.labelText, s.value]), [['', '3']]);
  t.strictSame(family(fams, 'mstat_bridge_subscribers').series.map((s) => [s.labelText, s.value]), [['', '5']]);
  t.strictSame(family(fams, 'mstat_bridge_sample_torn').series.map((s) => [s.labels.pid, s.value]), [
    ['4242', '0'],
    ['7', '1'],
  ]);
  t.strictSame(family(fams, 'mstat_bridge_sample_estimated').series.map((s) => s.labelText + ' ' + s.value), ['pid="7",exe="/bin/other",field="Sys" 1', 'pid="7",exe="/bin/other",field="GCSys" 1']);
  t.strictSame(family(fams, 'mstat_bridge_sample_estimated_bound_bytes').series.map((s) => [s.labels.field, s.value]), [
    ['Sys', '262144'],
    ['GCSys', '262144'],
  ]);
  for (const [name, f] of fams) t.equal(f.type, name.startsWith('go_gc_duration') ? 'summary' : name.endsWith('_total') ? 'counter' : 'gauge', `${name}: ${f.type}`);
});

t.test('no targets', async (t) => {
  t.equal(renderMetrics([]), '', 'nothing at all');
  t.equal(
    renderMetrics([], { bridge: { targets: 0, subscribers: 0 } }),
    `# HELP mstat_bridge_subscribers ${BRIDGE_METRICS.subscribers.help}\n# TYPE mstat_bridge_subscribers gauge\nmstat_bridge_subscribers 0\n` +
      `# HELP mstat_bridge_targets ${BRIDGE_METRICS.targets.help}\n# TYPE mstat_bridge_targets gauge\nmstat_bridge_targets 0\n`,
  );
});

t.test('per-target health: up, errors by code, unexpected stops; also for a target without a sample', async (t) => {
  const text = renderMetrics([{ target: TARGET, sample: sampleOf(recorded()) }], {
    health: [
      { target: 'pid:4242', pid: 4242, up: true, errors: [], unexpectedStops: 0 },
      { target: 'pid:77', pid: 77, up: false, errors: [['NO_SUCH_PROCESS', 3], ['TARGET_STOPPED', 1]], unexpectedStops: 2 },
      { target: 'core:/var/crash/core.1', pid: undefined, up: false, errors: [['BAD_CORE', 1]], unexpectedStops: 0 },
    ],
  });
  const fams = parseExposition(text);
  t.strictSame(family(fams, 'mstat_bridge_target_up').series.map((s) => `${s.labelText} ${s.value}`), ['pid="4242",target="pid:4242" 1', 'pid="77",target="pid:77" 0', 'pid="",target="core:/var/crash/core.1" 0']);
  t.strictSame(family(fams, 'mstat_bridge_target_errors_total').series.map((s) => `${s.labels.target} ${s.labels.code} ${s.value}`), ['pid:77 NO_SUCH_PROCESS 3', 'pid:77 TARGET_STOPPED 1', 'core:/var/crash/core.1 BAD_CORE 1']);
  t.strictSame(family(fams, 'mstat_bridge_target_unexpected_stops_total').series.map((s) => [s.labels.pid, s.value]), [['4242', '0'], ['77', '2'], ['', '0']]);
  t.equal(family(fams, 'mstat_bridge_target_errors_total').type, 'counter');
  t.equal(family(fams, 'mstat_bridge_target_up').help, BRIDGE_METRICS.up.help);
});

t.test('Go collector and process collector series: exact values, as client_golang writes them after float parsing', async (t) => {
  const fams = parseExposition(renderMetrics([{ target: TARGET, sample: sampleOf(recorded()) }]));
  const value = (name: string): string => {
    const f = family(fams, name);
    t.equal(f.series[0]!.labelText, ID, `${name}: pid and exe labels`);
    return f.series[0]!.value;
  };
  t.equal(value('go_goroutines'), '17');
  t.equal(value('go_threads'), '9');
  t.equal(value('go_sched_gomaxprocs_threads'), '4');
  // runtime/metrics gives uint64(gcPercent): GOGC=off is 2^64-1 in client_golang's output too.
  t.equal(value('go_gc_gogc_percent'), '18446744073709551615', 'GOGC=off as uint64(-1)');
  t.equal(value('go_gc_gomemlimit_bytes'), '9223372036854775807', 'no limit: math.MaxInt64, every digit');
  t.equal(value('process_cpu_seconds_total'), '12.34');
  t.equal(value('process_resident_memory_bytes'), '52428800');
  t.equal(value('process_virtual_memory_bytes'), '1601683456');
  t.equal(value('process_virtual_memory_max_bytes'), '18446744073709551615', 'unlimited RLIMIT_AS as procfs reads it');
  t.equal(value('process_open_fds'), '11');
  t.equal(value('process_max_fds'), '20000');
  t.equal(value('process_start_time_seconds'), '1796450046.43');
  t.equal(value('process_network_receive_bytes_total'), '7242526799');
  t.equal(value('process_network_transmit_bytes_total'), '4994878721');
});

t.test('a reading without runtime counters or /proc facts (a core, an older bridge) leaves those families out', async (t) => {
  const text = renderMetrics([{ target: TARGET, sample: sampleOf(recorded(), { runtime: undefined, process: undefined } as unknown as Partial<Sample>) }]);
  t.notMatch(text, /go_goroutines|go_threads|go_gc_gogc_percent|process_/, 'no go_goroutines, go_threads, go_gc_* settings or process_* series');
  t.match(text, /go_memstats_alloc_bytes\{/, 'MemStats series still there');
});
