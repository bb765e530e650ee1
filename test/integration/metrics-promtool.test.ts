// /metrics text of a real sample, checked by Prometheus' own linter: a running memhog is read
// through gdb, rendered together with a target that has no sample yet, and piped into
// `promtool check metrics` (Debian package `prometheus`, installed by scripts/setup.sh).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import t from 'tap';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { GO_MEMSTATS_METRICS, renderMetrics } from '../../bridge/server/metrics.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';

t.setTimeout(120_000);

/** promtool on PATH; a missing one fails the test (no skip). */
function findPromtool(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir || '.', 'promtool');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error('promtool not found on PATH: it comes from the Debian package `prometheus` (bash scripts/setup.sh installs it)');
}

const promtool = findPromtool();

function checkMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

t.test('promtool itself flags a bad exposition (the check is not vacuous)', async (t) => {
  const bad = checkMetrics('# HELP mstat_test_things Things.\n# TYPE mstat_test_things counter\nmstat_test_things 1\n');
  t.not(bad.status, 0, `a counter without _total fails (exit ${bad.status})`);
  t.match(bad.output, /_total/, `promtool says why: ${bad.output}`);
});

t.test('a real sample of memhog passes `promtool check metrics` with no warning', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  let target: LocalTarget | undefined;
  t.teardown(async () => {
    await target?.close();
    await go.stop();
  });
  await go.command('gc'); // at least one GC: non-zero pause quantiles and LastGC
  target = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
  const sample = await target.sample();
  t.ok(sample.memstats.NumGC >= 1, `NumGC ${sample.memstats.NumGC} ≥ 1`);

  const other = { pid: 0x3fffffff, exe: '/opt/not "read" yet\\', goVersion: 'go1.19.8', buildId: 'none' };
  const text = renderMetrics(
    [
      { target: target.info, sample },
      { target: other, sample: undefined },
    ],
    { bridge: { targets: 2, subscribers: 1 } },
  );
  t.comment(`${text.length} bytes, ${text.split('\n').length - 1} lines`);

  const r = checkMetrics(text);
  t.equal(r.status, 0, 'promtool check metrics: exit 0');
  t.equal(r.output, '', `promtool check metrics: no warnings or errors${r.output ? `: ${r.output}` : ''}`);

  const pid = `pid="${go.pid}"`;
  const exe = `exe="${target.info.exe.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c))}"`;
  const m = sample.memstats;
  for (const def of GO_MEMSTATS_METRICS) {
    t.ok(text.includes(`\n${def.name}{${pid},${exe}} ${m[def.field].toString()}\n`), `${def.name}{${pid}} = ${def.field} (${m[def.field]})`);
  }
  t.match(text, new RegExp(`\\ngo_info\\{${pid},exe="[^"]*",version="${target.info.goVersion}"\\} 1\\n`), 'go_info with the target\'s Go version');
  for (const q of ['0', '0.25', '0.5', '0.75', '1']) {
    t.match(text, new RegExp(`\\ngo_gc_duration_seconds\\{${pid},exe="[^"]*",quantile="${q}"\\} 0\\.\\d+\\n`), `GC pause quantile ${q} (non-zero seconds)`);
  }
  t.match(text, new RegExp(`\\ngo_gc_duration_seconds_count\\{${pid},exe="[^"]*"\\} ${m.NumGC}\\n`), '_count = NumGC');
  t.match(text, new RegExp(`\\ngo_memstats_last_gc_time_seconds\\{${pid},exe="[^"]*"\\} \\d{10}\\.\\d+\\n`), 'last GC time in Unix seconds');
  for (const name of ['mstat_bridge_sample_read_seconds', 'mstat_bridge_sample_torn', 'mstat_bridge_sample_timestamp_seconds']) {
    t.match(text, new RegExp(`\\n${name}\\{${pid},exe="[^"]*"\\} `), `${name}{${pid}}`);
  }
  t.match(text, '\nmstat_bridge_targets 2\n');

  const otherLines = text.split('\n').filter((l) => l.includes(`pid="${other.pid}"`));
  t.strictSame(otherLines, [`go_info{pid="${other.pid}",exe="/opt/not \\"read\\" yet\\\\",version="go1.19.8"} 1`], 'the target without a sample: go_info only');
});
