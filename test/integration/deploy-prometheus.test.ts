// The shipped Prometheus config and Grafana dashboard against the real things: a bridge reads a
// running Go program (--scrape-attach), the `prometheus` that setup installs scrapes it with
// scripts/deploy/prometheus/prometheus.yml (only the target address, the interval and the token
// file's path changed), and every PromQL query of scripts/deploy/grafana/mstat-bridge.json,
// its template variables filled in as Grafana would, must return data.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnBridgeProcess } from '../support/bridge.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { freePort } from '../../scripts/kit/ports.ts';
import { until } from '../../scripts/kit/time.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'scripts', 'deploy');
const TOKEN = 'prometheus-test-token-0123456789';
const RATE_INTERVAL = '30s';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'mstat-bridge.json'), 'utf8')) as {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
};

t.setTimeout(300_000);
const work = mkdtempSync(join(tmpdir(), 'mstat-prometheus-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** The shipped config with only the scrape target, the interval and the token file replaced (each must be there to replace). */
function configFor(bridgePort: number, tokenFile: string): string {
  let text = readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8');
  const swaps: Array<[RegExp, string]> = [
    [/targets: \['127\.0\.0\.1:9464'\]/, `targets: ['127.0.0.1:${bridgePort}']`],
    [/scrape_interval: 15s/, 'scrape_interval: 1s'],
    [/credentials_file: \/etc\/prometheus\/mstat-bridge\.token/, `credentials_file: ${tokenFile}`],
  ];
  for (const [from, to] of swaps) {
    if (!from.test(text)) throw new Error(`prometheus.yml no longer has ${from}: update this test`);
    text = text.replace(from, to);
  }
  return text;
}

async function query(promPort: number, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** A Grafana regex variable's value as it puts it in a PromQL string: regex-escaped, then each backslash doubled. */
const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\');

t.test('a real Prometheus scrapes a bridge with the shipped config; every dashboard query returns data; a restart continues the series', async (t) => {
  // The program as a service has it: one executable path, followed across restarts.
  const program = join(work, 'api');
  copyFileSync(fixture().path, program);
  const go = await GoTarget.start({ ...fixture(), path: program }, ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  await go.command('gc'); // a GC cycle: pause quantiles and last-GC time are real
  const { port: bridgePort } = await spawnBridgeProcess(t, { args: ['--token', TOKEN, '--scrape-attach', program, '--scrape-interval', '250'] });

  const tokenFile = join(work, 'token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  const config = join(work, 'prometheus.yml');
  writeFileSync(config, configFor(bridgePort, tokenFile));
  const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
  t.equal(check.status, 0, `promtool check config: ${(check.stdout + check.stderr).trim()}`);

  const promPort = await freePort();
  const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.on('data', (d) => (promLog = (promLog + String(d)).slice(-4000)));
  t.teardown(() => prom.kill('SIGKILL'));

  // Enough scrapes for rate() over the dashboard's interval: at least 5, the target read in each.
  const scraped = await until(async () => {
    const r = await query(promPort, 'count_over_time(go_memstats_heap_alloc_bytes[1m])').catch(() => []);
    return Number(r[0]?.value[1] ?? 0) >= 5;
  }, 90_000, 500);
  t.ok(scraped, `Prometheus scraped the bridge at least 5 times ${scraped ? '' : promLog}`);
  const up = await query(promPort, 'up{job="mstat-bridge"}');
  t.equal(up[0]?.value[1], '1', 'the scrape succeeds with the bearer token');

  const heap = await query(promPort, 'go_memstats_heap_alloc_bytes');
  t.equal(heap.length, 1, 'one heap series');
  const exe = heap[0]?.metric.exe ?? '';
  t.equal(exe, program, `labelled with the program's path (${exe})`);
  t.notOk('pid' in (heap[0]?.metric ?? {}), 'and no pid: the series outlives a restart of the target');

  // The dashboard's own variables.
  t.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  t.equal(vars.get('datasource')?.type, 'datasource', 'a Prometheus data source variable');
  t.match(JSON.stringify(vars.get('exe')?.query), /label_values\(go_info, exe\)/, 'exe from label_values(go_info, exe)');
  const values = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/label/exe/values?match[]=go_info`)).json()) as { data: string[] };
  t.same(values.data, [exe], 'label_values(go_info, exe) offers the target');

  const fill = (expr: string): string => expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$exe', regexEscape(exe));
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  t.ok(panels.length >= 20, `${panels.length} panels`);
  for (const p of panels) {
    for (const target of p.targets ?? []) {
      const expr = fill(target.expr);
      const result = await query(promPort, expr).catch((err: Error) => err);
      t.ok(Array.isArray(result) && result.length > 0, `"${p.title}": ${target.expr} ${result instanceof Error ? result.message : Array.isArray(result) && result.length > 0 ? '' : '(no data)'}`);
    }
  }

  // The service restarts: a new process of the same executable. Its start time shows up under
  // the same labels, and the heap has one series over both processes.
  const startedBefore = Number((await query(promPort, `process_start_time_seconds{exe="${exe}"}`))[0]?.value[1]);
  await go.stop();
  await new Promise((r) => setTimeout(r, 1100)); // a later start time (USER_HZ ticks, whole seconds apart at least)
  const again = await GoTarget.start({ ...fixture(), path: program }, ['-heartbeat', '0']);
  t.teardown(() => again.stop());
  const restarted = await until(async () => Number((await query(promPort, `process_start_time_seconds{exe="${exe}"}`))[0]?.value[1]) > startedBefore, 60_000, 500);
  t.ok(restarted, 'the new process is scraped under the same exe label');
  const series = await query(promPort, `count(count_over_time(go_memstats_heap_alloc_bytes{exe="${exe}"}[5m]))`);
  t.equal(series[0]?.value[1], '1', 'one heap series across the restart (pid dropped, exe kept)');
});
