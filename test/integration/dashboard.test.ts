// The web dashboard end to end: the real bridge serving it (bundled on first request), real
// gdb on a real Go fixture, the page in headless Debian Chromium. The numbers the page shows
// are compared with what the bridge sends a test client on the same quiet target.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { formatGoFloat, formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { CHARTS, newPauses } from '../../clients/web/model.ts';
import { buildDashboard } from '../../bridge/server/dashboard.ts';
import { MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { dashboardState, launchBrowser, openPage } from '../support/browser.ts';
import { deadPid } from '../support/cli.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

const LOGS = join(import.meta.dirname, '..', '..', 'test-logs');
mkdirSync(LOGS, { recursive: true });

const browser = await launchBrowser(t);

async function startTarget(t: { teardown(fn: () => unknown): void }): Promise<GoTarget> {
  const g = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => g.stop());
  return g;
}

/** Polls the page's debug hook until `pred` holds; returns the last state (for messages). */
async function waitState(page: Page, pred: (s: NonNullable<Awaited<ReturnType<typeof dashboardState>>>) => boolean, timeoutMs = 20_000) {
  let last: Awaited<ReturnType<typeof dashboardState>>;
  await until(async () => {
    last = await dashboardState(page);
    return last !== undefined && pred(last);
  }, timeoutMs, 100);
  return last;
}

/** The banner: kind and text, once it shows `kind` (or whatever it shows after the timeout). */
async function waitMessage(page: Page, kind: string, timeoutMs = 20_000): Promise<{ kind: string; text: string }> {
  const read = async () => ({ kind: (await page.locator('#message:not([hidden])').getAttribute('data-kind', { timeout: 200 }).catch(() => null)) ?? '', text: (await page.locator('#message').textContent()) ?? '' });
  let m = await read();
  await until(async () => (m = await read()).kind === kind, timeoutMs, 100);
  return m;
}

type Row = { field: string; raw: string; cells: string[] };

/** The current-MemStats table as the user sees it. */
async function shownFields(page: Page): Promise<Map<string, Row>> {
  const rows = await page.locator('#memstats-body tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      field: (tr as unknown as { dataset: Record<string, string> }).dataset.field ?? '',
      raw: (tr as unknown as { dataset: Record<string, string> }).dataset.raw ?? '',
      cells: Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (c) => c.textContent ?? ''),
    })),
  );
  return new Map(rows.map((r) => [r.field, r]));
}

async function shownBySize(page: Page): Promise<string[][]> {
  return page.locator('#bysize-body tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (c) => c.textContent ?? '')),
  );
}

const digits = (s: string | undefined): string => (s ?? '').replace(/,/g, '');

/** What the page must show for a sample: field → exact value text (digits without grouping). */
function expectedFields(m: MemStats): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of MEMSTATS_U64_FIELDS) out[f] = m[f].toString();
  out.NumGC = String(m.NumGC);
  out.NumForcedGC = String(m.NumForcedGC);
  out.GCCPUFraction = formatGoFloat(m.GCCPUFraction);
  out.EnableGC = String(m.EnableGC);
  out.DebugGC = String(m.DebugGC);
  if (m.NumGC > 0) {
    out.PauseNs = m.PauseNs[(m.NumGC - 1) % PAUSE_RING]!.toString();
    out.PauseEnd = m.PauseEnd[(m.NumGC - 1) % PAUSE_RING]!.toString();
  }
  return out;
}

t.test('the page and its bundle: served without a token, strict CSP, no-store, built once', async (t) => {
  const bridge = await testBridge(t, { token: 'dashboard-test-token' });
  const base = `http://127.0.0.1:${bridge.address.port}`;
  const t0 = performance.now();
  const html = await fetch(`${base}/`);
  const firstMs = performance.now() - t0;
  t.equal(html.status, 200, 'the page needs no token (it holds no data)');
  t.match(html.headers.get('content-type'), /^text\/html/);
  const csp = html.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'none'/);
  t.match(csp, /script-src 'self'(;|$)/, 'only our own scripts: no inline, no eval, no CDN');
  t.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${bridge.address.port} wss://127\\.0\\.0\\.1:${bridge.address.port}(;|$)`), 'WebSocket only back to this host');
  t.equal(html.headers.get('cache-control'), 'no-store');
  t.equal(html.headers.get('x-content-type-options'), 'nosniff');
  const page = await html.text();
  t.match(page, /<script type="module" src="app\.js"><\/script>/);
  t.notMatch(page, /https?:\/\//, 'nothing loaded from elsewhere');
  const t1 = performance.now();
  const js = await fetch(`${base}/app.js`);
  const cachedMs = performance.now() - t1;
  t.equal(js.status, 200);
  t.match(js.headers.get('content-type'), /^text\/javascript/);
  const body = await js.text();
  t.ok(body.length > 50_000 && body.length < 400_000, `app.js is bundled with uPlot and zod, tree-shaken (${body.length} bytes)`);
  t.match(body, /__mstatDashboard/);
  const css = await fetch(`${base}/app.css`);
  t.match(css.headers.get('content-type'), /^text\/css/);
  t.match(await css.text(), /\.uplot/, "uPlot's stylesheet is bundled into app.css");
  t.ok(cachedMs < firstMs, `bundled on the first request (${firstMs.toFixed(0)} ms), then served from memory (${cachedMs.toFixed(0)} ms)`);
  t.equal((await fetch(`${base}/nope.js`)).status, 404, 'other paths: 404');
  t.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
  t.equal((await fetch(`${base}/metrics`)).status, 401, '/metrics still needs the token');
  const b = await buildDashboard();
  t.same([...b.assets.keys()].sort(), ['app.css', 'app.css.map', 'app.js', 'app.js.map', 'index.html'], 'the assets');
  t.comment(`a rebuild takes ${b.ms} ms`);
});

t.test('picker lists the fixture; picking it streams live charts and the exact numbers the bridge sends', async (t) => {
  const go = await startTarget(t);
  await go.command('gc');
  await go.command('gc');
  await go.command('pause');
  await go.command('freeos'); // no background scavenging later
  await go.command('burst');
  const bridge = await testBridge(t);
  const base = `http://127.0.0.1:${bridge.address.port}`;
  const { page, problems } = await openPage(browser, t);
  await page.goto(`${base}/?interval=250`);

  // The picker: list-targets through the page's own client.
  const option = page.locator(`#target-select option[value="${go.pid}"]`);
  await option.waitFor({ state: 'attached', timeout: 20_000 });
  t.match(await option.textContent(), new RegExp(`^${go.pid} · memhog-go[\\d.]+ · go1\\.`), 'the fixture is listed with its exe and Go version');
  t.equal(await option.isDisabled(), false, 'attachable');
  await page.selectOption('#target-select', String(go.pid));
  t.match(page.url(), new RegExp(`[?&]pid=${go.pid}(&|$)`), 'the choice goes into the URL (reload or share it)');

  // A test client on the same target; wait until the bridge's samples stop changing.
  const c = await WsClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'cmp', target: { pid: go.pid }, intervalMs: 250 }, 'subscribed', 'cmp');
  const samples = (): SampleMessage[] => c.received.filter((m): m is SampleMessage => m.type === 'sample');
  t.ok(
    await until(() => {
      const s = samples().slice(-3);
      return s.length === 3 && new Set(s.map((x) => formatMemStatsJson(x.memstats))).size === 1;
    }, 20_000, 100),
    'quiet target: three identical samples in a row',
  );
  const st = await waitState(page, (s) => s.samples >= 3);
  t.ok(st && st.samples >= 3, `the page received samples (${st?.samples})`);

  // The numbers shown equal the bridge's latest sample. (Runtime background work can still
  // move a field between two reads, so a few rounds are allowed; the last mismatch is shown.)
  let shown = new Map<string, Row>();
  let want: Record<string, string> = {};
  let got: Record<string, string> = {};
  let latest = samples().at(-1)!;
  for (let round = 0; round < 10; round++) {
    latest = samples().at(-1)!;
    want = expectedFields(latest.memstats);
    shown = await shownFields(page);
    got = Object.fromEntries(Object.keys(want).map((f) => [f, digits(shown.get(f)?.cells[1])]));
    if (JSON.stringify(got) === JSON.stringify(want)) break;
    await sleep(300);
  }
  t.same(got, want, 'every scalar MemStats field shown is exactly what the bridge sent (uint64 digits intact)');
  for (const f of ['HeapAlloc', 'NextGC', 'NumGC'] as const) t.equal(digits(shown.get(f)?.cells[1]), String(latest.memstats[f]), `${f} = ${latest.memstats[f]}`);
  t.equal(shown.size, 32, 'all 32 MemStats fields are listed');
  t.equal(shown.get('HeapAlloc')?.cells[2], 'bytes', 'with units');
  t.match(shown.get('HeapAlloc')?.cells[3], /^\d+\.\d\d (KiB|MiB)$/, 'and a human-readable size');
  t.equal(shown.get('HeapAlloc')?.raw, latest.memstats.HeapAlloc.toString(), 'data-raw carries the plain digits');
  const bySize = await shownBySize(page);
  t.equal(bySize.length, 61, 'BySize: 61 size classes');
  const bsWant = latest.memstats.BySize.map((e, i) => [String(i), String(e.Size), e.Mallocs.toString(), e.Frees.toString(), (e.Mallocs - e.Frees).toString()]);
  t.same(bySize.map((r) => [r[0], digits(r[1]), digits(r[2]), digits(r[3]), digits(r[4])]), bsWant, 'BySize: class, size, mallocs, frees, live objects as sent');
  const meta = await page.locator('#meta-body').textContent();
  t.match(meta, /mode\s*live/, 'sampling mode shown');
  t.match(meta, /read time \(meta\.readNs\)\s*[\d.]+ (ns|µs|ms|s)/, 'read cost shown');
  t.match(meta, /target pause \(meta\.pauseNs\)\s*0 ns/, 'live mode: no pause');
  t.match(meta, latest.meta.exact ? /quality\s*exact/ : /quality\s*(estimated|torn)/, 'exactness shown');
  t.match(await page.locator('#target-title').textContent(), new RegExp(`pid ${go.pid} · .*memhog.* · go1\\.`));

  // Charts: a point per sample on every time chart, and the GC history from the PauseNs ring.
  const s2 = (await dashboardState(page))!;
  for (const ch of CHARTS.filter((x) => x.id !== 'pauses')) t.ok(s2.points[ch.id]! >= 3, `${ch.id} chart has points (${s2.points[ch.id]})`);
  t.equal(s2.points.pauses, newPauses(latest.memstats, undefined).length, `pause chart: one point per GC in the ring (${s2.points.pauses})`);
  t.ok(latest.memstats.NumGC >= 2 && s2.points.pauses! >= 2, 'the fixture has a GC history');
  const m = latest.memstats;
  t.same(s2.last.heap!.slice(1), [m.HeapAlloc, m.HeapInuse, m.HeapIdle, m.HeapReleased, m.HeapSys, m.Sys].map(Number), 'heap chart: the newest point is the sample (as numbers)');
  t.same(s2.last.goal!.slice(1), [Number(m.HeapAlloc), Number(m.NextGC)], 'HeapAlloc and NextGC plotted');
  t.same(s2.last.stacks!.slice(1), [Number(m.StackInuse), Number(m.StackSys)], 'stack chart');
  const lastGc = m.PauseNs[(m.NumGC - 1) % PAUSE_RING]!;
  t.equal(s2.last.pauses![1], Number(lastGc), 'pause chart: the newest GC pause');
  t.equal(s2.last.pauses![0], Number(m.PauseEnd[(m.NumGC - 1) % PAUSE_RING]! / 1000n) / 1e6, 'at its PauseEnd (s)');
  const rendered = await page.locator('figure[data-chart] .plot').evaluateAll((els) =>
    els.map((e) => ({ points: Number((e as unknown as { dataset: Record<string, string> }).dataset.points), canvas: (e as unknown as { querySelector(s: string): unknown }).querySelector('canvas') !== null })),
  );
  t.equal(rendered.length, 6, 'six charts');
  t.ok(rendered.every((r) => r.canvas && r.points > 0), 'each one drawn by uPlot with its points (data-points)');

  // Activity for a telling screenshot: the target allocates and collects for a while.
  await go.command('resume');
  await go.command('gc');
  const before = (await dashboardState(page))!;
  const more = await waitState(page, (s) => s.samples >= before.samples + 8 && s.points.pauses! > before.points.pauses!);
  t.ok(more && more.points.pauses! > before.points.pauses!, 'new GCs appear in the pause chart');
  t.ok(more && more.points.alloc! > before.points.alloc!, 'allocation-rate chart keeps updating');
  await page.screenshot({ path: join(LOGS, 'dashboard.png'), fullPage: true });
  t.same(problems, [], 'no console errors, exceptions or CSP violations');
});

t.test('/?pid= and ?token=: subscribes directly; without the token it says so; target exit is shown', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t, { token: 'dashboard-test-token' });
  const base = `http://127.0.0.1:${bridge.address.port}`;
  const denied = await openPage(browser, t);
  await denied.page.goto(`${base}/?pid=${go.pid}`);
  const m0 = await waitMessage(denied.page, 'disconnected');
  t.equal(m0.kind, 'disconnected', 'no token: cannot connect');
  t.match(m0.text, /token/, `the message says the token may be wrong: ${m0.text}`);
  t.equal((await dashboardState(denied.page))?.samples, 0);
  await denied.page.close();

  const { page, problems } = await openPage(browser, t);
  await page.goto(`${base}/?pid=${go.pid}&token=dashboard-test-token&interval=100`);
  const st = await waitState(page, (s) => s.samples >= 2);
  t.equal(st?.pid, go.pid, 'the PID from the URL is subscribed');
  t.ok(st && st.samples >= 2, 'samples arrive with the token from the page URL');
  t.equal(await page.locator('#target-select').inputValue(), String(go.pid), 'and selected in the picker');
  await go.command('exit').catch(() => undefined);
  const m = await waitMessage(page, 'exited');
  t.equal(m.kind, 'exited');
  t.match(m.text, new RegExp(`Target process ${go.pid} exited`), m.text);
  t.equal((await dashboardState(page))?.state, 'open', 'the bridge connection stays open');
  t.same(problems, [], 'no console errors, exceptions or CSP violations');
});

t.test('/?pid= of a process that does not exist: the wire error code and message', async (t) => {
  const bridge = await testBridge(t);
  const pid = await deadPid();
  const { page } = await openPage(browser, t);
  await page.goto(`http://127.0.0.1:${bridge.address.port}/?pid=${pid}`);
  const m = await waitMessage(page, 'error');
  t.equal(m.kind, 'error');
  t.match(m.text, /NO_SUCH_PROCESS: /, m.text);
});

t.test('bridge goes away: disconnected/reconnecting message; it comes back: samples resume', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const port = bridge.address.port;
  const { page } = await openPage(browser, t);
  await page.goto(`http://127.0.0.1:${port}/?pid=${go.pid}&interval=100`);
  await waitState(page, (s) => s.samples >= 2);
  await bridge.close();
  const m = await waitMessage(page, 'disconnected');
  t.equal(m.kind, 'disconnected');
  t.match(m.text, /Bridge disconnected — reconnecting automatically/, m.text);
  t.equal(await page.locator('#connection').getAttribute('data-state'), 'reconnecting');
  // A new bridge on the same port: the client library reconnects and resubscribes.
  const again = await testBridge(t, { port });
  t.equal(again.address.port, port);
  const before = (await dashboardState(page))!.samples;
  const st = await waitState(page, (s) => s.state === 'open' && s.samples > before + 2, 30_000);
  t.ok(st && st.samples > before + 2, `samples resume after the reconnect (${before} → ${st?.samples})`);
  t.equal(await page.locator('#message').isHidden(), true, 'the disconnected message is gone');
  t.match(await page.locator('#event-log').textContent(), /resubscribed/, 'the event log tells what happened');
});
