// The bridge's go_* and process_* series against client_golang's own, live: a Go program that
// exports its metrics with client_golang's default registry (test/instrumented) is read from
// outside too. Every go_/process_ family it has, we have, with the same TYPE and HELP; the
// settings and limits read the same; the values that move (goroutines while it serves the
// scrape, fds, memory, CPU) are within a scrape's own footprint of ours.
import t from 'tap';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { renderMetrics } from '../../bridge/server/metrics.ts';
import { sampleRetryingStops } from '../../scripts/kit/differential.ts';
import { family, parseExposition, type Family } from '../support/exposition.ts';
import { InstrumentedProgram } from '../support/instrumented.ts';

const goOrProcess = (fams: Map<string, Family>): string[] => [...fams.keys()].filter((n) => /^(go|process)_/.test(n)).sort();

for (const env of [{}, { GOGC: 'off', GOMEMLIMIT: '300MiB', GOMAXPROCS: '1' }]) {
  t.test(`client_golang's families and values, ${JSON.stringify(env)}`, async (t) => {
    const prog = await InstrumentedProgram.start(env);
    t.teardown(() => prog.stop());
    const target = await LocalTarget.open({ pid: prog.pid, log: silentLogger() });
    t.teardown(() => target.close());

    // Theirs, ours, theirs: a value that only grows lies between its two scrapes.
    const before = parseExposition(await prog.scrape());
    const sample = await sampleRetryingStops(target, 'consistent');
    const after = parseExposition(await prog.scrape());
    const ours = parseExposition(renderMetrics([{ target: target.info, sample }]));

    t.strictSame(goOrProcess(ours), goOrProcess(after), 'the same go_ and process_ families as client_golang exports');
    for (const name of goOrProcess(after)) {
      const o = family(ours, name);
      const c = family(after, name);
      t.strictSame({ type: o.type, help: o.help }, { type: c.type, help: c.help }, `${name}: TYPE and HELP`);
    }
    const one = (fams: Map<string, Family>, name: string): number => Number(family(fams, name).series.find((s) => !s.name.endsWith('_sum') && !s.name.endsWith('_count') && s.labels.quantile === undefined)!.value);

    for (const name of ['go_gc_gogc_percent', 'go_gc_gomemlimit_bytes', 'go_sched_gomaxprocs_threads', 'process_max_fds', 'process_virtual_memory_max_bytes', 'process_start_time_seconds']) {
      t.equal(one(ours, name), one(after, name), `${name} = ${one(after, name)}, as Prometheus parses both`);
    }
    t.equal(family(ours, 'go_info').series[0]!.labels.version, family(after, 'go_info').series[0]!.labels.version, 'go_info version');
    const between = (name: string, slack: number): void => {
      const [a, b] = [one(before, name), one(after, name)];
      const v = one(ours, name);
      t.ok(v >= Math.min(a, b) - slack && v <= Math.max(a, b) + slack, `${name}: ours ${v}, theirs ${a} then ${b} (± ${slack})`);
    };
    // A scrape counts its own goroutines (the connection's, and the registry's Gather workers,
    // one per collector) that ours, taken between scrapes, does not: it is at most theirs.
    // (Exactness is test/integration/runtime-stats-differential.test.ts's job.)
    const g = one(ours, 'go_goroutines');
    const theirsG = Math.min(one(before, 'go_goroutines'), one(after, 'go_goroutines'));
    t.ok(g >= 1 && g <= theirsG && theirsG - g <= 6, `go_goroutines: ours ${g}, theirs while scraping ${theirsG}`);
    between('go_threads', 2);
    between('process_open_fds', 2);
    between('process_cpu_seconds_total', 0.02);
    between('process_resident_memory_bytes', 4 << 20);
    between('process_virtual_memory_bytes', 64 << 20);
    between('process_network_receive_bytes_total', 1 << 20);
    between('process_network_transmit_bytes_total', 1 << 20);
  });
}
