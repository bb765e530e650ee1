// Bridge features beyond the basic stream: backpressure (and the hard cap for clients that
// never read), list-targets, /healthz, /metrics with --scrape-attach, the PID policy.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { healthz, spawnBridgeProcess, testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { rssKiB } from '../../scripts/kit/proc.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

async function startTarget(t: { teardown(fn: () => unknown): void }, variant: 'default' | 'nodwarf' = 'default'): Promise<GoTarget> {
  const g = await GoTarget.start(fixture({ variant }), ['-heartbeat', '0']);
  t.teardown(() => g.stop());
  return g;
}

t.test('a slow subscriber does not make the bridge buffer: samples are dropped and counted', async (t) => {
  const go = await startTarget(t);
  // A long heartbeat: the paused client answers no pings, and a loaded machine may need a while.
  const bridge = await testBridge(t, { maxBufferedBytes: 64 * 1024, heartbeatMs: 300_000 });
  const slow = await WsClient.connect(bridge, t);
  const fast = await WsClient.connect(bridge, t);
  // Many subscriptions on the slow connection: enough bytes to fill the kernel's socket buffers fast.
  for (let i = 0; i < 30; i++) await slow.request({ type: 'subscribe', id: `slow${i}`, target: { pid: go.pid }, intervalMs: 10 }, 'subscribed', `slow${i}`);
  await fast.request({ type: 'subscribe', id: 'fast', target: { pid: go.pid }, intervalMs: 10 }, 'subscribed', 'fast');
  await slow.next('sample');
  await fast.next('sample');
  // Stop reading on the slow client's socket: the server's send buffer fills.
  slow.ws.pause();
  // Keep it paused until the bridge has tried to send it far more than kernel socket buffers
  // hold (estimated from what the fast client received meanwhile), however loaded the machine.
  const fastBefore = fast.received.filter((m) => m.type === 'sample').length;
  const frameBytes = fast.raw.find((r) => r.startsWith('{"type":"sample"'))!.length;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    await sleep(250);
    const sent = (fast.received.filter((m) => m.type === 'sample').length - fastBefore) * 30 * frameBytes;
    if (sent > 24 << 20) break;
  }
  const fastCount = fast.received.filter((m) => m.type === 'sample').length - fastBefore;
  slow.ws.resume();
  // Catching up means parsing what the kernel buffered meanwhile; then samples are current.
  const current = (): boolean => {
    const l = slow.received.filter((m) => m.type === 'sample' && m.subscription === 'slow0').at(-1);
    return l !== undefined && l.type === 'sample' && Date.now() - Date.parse(l.time) < 2000;
  };
  await until(current, 30_000, 100);
  const samples = slow.received.filter((m) => m.type === 'sample' && m.subscription === 'slow0');
  const dropped = slow.received.reduce((a, m) => a + (m.type === 'sample' ? m.meta.dropped : 0), 0);
  t.ok(dropped > 0, `${dropped} samples dropped for the slow subscriber and reported in meta.dropped`);
  t.ok(fastCount >= 10, `the other subscriber kept receiving (${fastCount} samples while the slow one was stuck)`);
  const seqs = samples.map((m) => (m.type === 'sample' ? m.seq : 0));
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'seq stays increasing');
  const last = samples[samples.length - 1];
  t.ok(last && last.type === 'sample' && Date.now() - Date.parse(last.time) < 2000, 'the slow subscriber gets the latest sample after it catches up');
});

t.test('list-targets: Go processes on this host, attachable or why not, and which are attached', async (t) => {
  const go = await startTarget(t);
  const nodwarf = await startTarget(t, 'nodwarf');
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 's', target: { pid: go.pid }, intervalMs: 1000 }, 'subscribed', 's');
  const r = await c.request({ type: 'list-targets', id: 'l' }, 'targets', 'l');
  t.equal(r.type, 'targets');
  if (r.type !== 'targets') return;
  const mine = r.targets.find((x) => x.pid === go.pid);
  t.ok(mine, 'the fixture is listed');
  t.equal(mine?.attached, true, 'attached through this bridge');
  t.equal(mine?.attachable, true, 'attachable (our own gdb does not count as a foreign tracer)');
  t.match(mine?.goVersion ?? '', /^go1\./);
  const nd = r.targets.find((x) => x.pid === nodwarf.pid);
  t.equal(nd?.attachable, false);
  t.match(nd?.reason ?? '', /DWARF/);
  t.notOk(r.targets.some((x) => x.pid === process.pid), 'not the bridge itself');
});

t.test('/healthz and /metrics with --scrape-attach (no WebSocket client)', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t, { scrapeAttach: [{ pid: go.pid }], scrapeIntervalMs: 100 });
  const base = `http://127.0.0.1:${bridge.address.port}`;
  t.ok(await until(() => readProcStatus(go.pid)?.tracerPid !== 0, 5000), 'scrape target attached without any client');
  let text = '';
  await until(async () => {
    text = await (await fetch(`${base}/metrics`)).text();
    return text.includes('go_memstats_heap_alloc_bytes{');
  }, 5000, 100);
  t.match(text, new RegExp(`go_memstats_alloc_bytes\\{pid="${go.pid}",exe="[^"]+"\\} \\d+`), 'go_memstats_alloc_bytes with pid and exe labels');
  for (const name of ['go_memstats_alloc_bytes_total', 'go_memstats_heap_inuse_bytes', 'go_memstats_next_gc_bytes', 'go_memstats_last_gc_time_seconds', 'go_gc_duration_seconds', 'go_info']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} present`);
  }
  const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(out.trim(), '', 'promtool check metrics: no problems');
  const h = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean; targets: number };
  t.same([h.ok, h.targets], [true, 1]);
  const root = await fetch(`${base}/`);
  t.equal(root.status, 200, '/ serves the dashboard page (test/integration/dashboard.test.ts tests it)');
  t.match(root.headers.get('content-type'), /^text\/html/);
});

t.test('--scrape-attach /PATH: the program\'s process, found again after a restart; the old pid let go', async (t) => {
  const { copyFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mstat-program-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'server');
  copyFileSync(fixture().path, path);
  const bridge = await testBridge(t, { scrapeAttach: [{ program: path }], scrapeIntervalMs: 100 });
  const base = `http://127.0.0.1:${bridge.address.port}`;
  const metricsOf = async (pid: number): Promise<string> => {
    let text = '';
    await until(async () => {
      text = await (await fetch(`${base}/metrics`)).text();
      return text.includes(`go_goroutines{pid="${pid}",exe="${path}"}`);
    }, 10_000, 100);
    return text;
  };

  const first = await GoTarget.start({ ...fixture(), path }, ['-heartbeat', '0']);
  t.teardown(() => first.stop());
  t.match(await metricsOf(first.pid), `go_memstats_alloc_bytes{pid="${first.pid}",exe="${path}"}`, 'the running process is scraped, labelled with the program path');

  // The service restarts: a new process of the same file.
  await first.stop();
  const second = await GoTarget.start({ ...fixture(), path }, ['-heartbeat', '0']);
  t.teardown(() => second.stop());
  const text = await metricsOf(second.pid);
  t.match(text, `go_memstats_alloc_bytes{pid="${second.pid}",exe="${path}"}`, 'the new process is scraped under the same exe label');
  await until(async () => !(await (await fetch(`${base}/metrics`)).text()).includes(`pid="${first.pid}"`), 5000, 100);
  t.notMatch(await (await fetch(`${base}/metrics`)).text(), `pid="${first.pid}"`, 'nothing left of the old process: no down series for a pid that is gone');
  const h = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean };
  t.equal(h.ok, true, '/healthz ok: the old pid is not a problem');
});

t.test('--allow-pids: other PIDs are refused with PERMISSION_DENIED, nothing attached', async (t) => {
  const go = await startTarget(t);
  const other = await startTarget(t);
  const bridge = await testBridge(t, { allowPids: [go.pid] });
  const c = await WsClient.connect(bridge, t);
  const r = await c.request({ type: 'subscribe', id: 'o', target: { pid: other.pid } }, 'subscribed', 'o');
  t.equal(r.type === 'error' ? r.code : r.type, 'PERMISSION_DENIED');
  t.equal(readProcStatus(other.pid)?.tracerPid, 0, 'not attached');
  const ok = await c.request({ type: 'subscribe', id: 'g', target: { pid: go.pid } }, 'subscribed', 'g');
  t.equal(ok.type, 'subscribed', 'the allowed PID works');
});

t.test('an unprivileged bridge: a root-owned target (and PID 1) → PERMISSION_DENIED, bridge healthy', async (t) => {
  const { cliEnv, REPO_ROOT } = await import('../support/cli.ts');
  const { createTempUser } = await import('../../scripts/kit/temp-user.ts');
  const { mkdtempSync, chmodSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const go = await startTarget(t); // runs as root
  const user = createTempUser();
  t.teardown(() => user.remove());
  const home = mkdtempSync(join(tmpdir(), 'mstat-bridge-user-'));
  chmodSync(home, 0o777);
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const { port } = await spawnBridgeProcess(t, {
    prefix: ['env', '-u', 'NODE_OPTIONS', 'setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--inh-caps=-all'],
    cwd: REPO_ROOT,
    env: cliEnv({ HOME: home, MSTAT_CACHE_DIR: home }),
  });
  const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws`);
  t.teardown(() => c.ws.terminate());
  await c.opened;
  const r = await c.request({ type: 'subscribe', id: 'root', target: { pid: go.pid } }, 'subscribed', 'root');
  t.equal(r.type === 'error' ? r.code : r.type, 'PERMISSION_DENIED', `root-owned target: ${r.type === 'error' ? r.message : ''}`);
  if (r.type === 'error') t.match(r.message, /ptrace_scope|CAP_SYS_PTRACE/, 'the message says how to fix it');
  const one = await c.request({ type: 'subscribe', id: 'init', target: { pid: 1 } }, 'subscribed', 'init');
  // Another user's /proc/1/exe is unreadable: refused before gdb starts, as not permitted.
  t.equal(one.type === 'error' ? one.code : one.type, 'PERMISSION_DENIED', `PID 1: ${one.type === 'error' ? one.message : ''}`);
  t.not(one.type === 'error' ? one.code : '', 'INTERNAL', 'never INTERNAL');
  if (one.type === 'error') t.match(one.message, /process 1\b.*ptrace_scope|CAP_SYS_PTRACE/, 'the message names PID 1 and how to fix it');
  t.equal((await c.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bridge healthy');
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, 'target untouched');
});

t.test('heartbeat: a peer that stops answering pings is terminated and its subscription ends', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t, { heartbeatMs: 300 });
  const dead = await WsClient.connect(bridge, t);
  await dead.request({ type: 'subscribe', id: 'd', target: { pid: go.pid }, intervalMs: 100 }, 'subscribed', 'd');
  // A paused ws client reads nothing, so it never answers the server's pings.
  dead.ws.pause();
  const closed = await Promise.race([dead.closed.then(() => true), sleep(5000).then(() => false)]);
  // The server terminated the socket; the client notices once it reads again.
  dead.ws.resume();
  t.ok(closed || (await Promise.race([dead.closed.then(() => true), sleep(3000).then(() => false)])), 'connection closed by the server');
  t.ok(await until(() => bridge.manager.subscriberCount === 0, 5000), 'its subscription ended');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'target detached after the linger');
});

t.test('a client that never reads but keeps sending is cut off at the hard cap; the bridge and other clients are fine', async (t) => {
  const go = await startTarget(t);
  // Hard cap = 4 x 16 KiB of unsent replies; no heartbeat during the test (the flooder answers no pings).
  // The frame rate limit would drop the flood before it makes replies; this is about replies.
  const { child, port, logs } = await spawnBridgeProcess(t, { args: ['--max-buffered-bytes', '16384', '--heartbeat', '300000', '--max-frames-per-second', '100000'] });
  const url = `ws://127.0.0.1:${port}/v1/ws`;
  const other = new WsClient(url);
  t.teardown(() => other.ws.terminate());
  await other.opened;
  await other.request({ type: 'subscribe', id: 'o', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'o');
  await other.next('sample');
  const flood = new WsClient(url);
  t.teardown(() => flood.ws.terminate());
  await flood.opened;
  t.match(await healthz(port), { connections: 2 });
  const rssBefore = rssKiB(child.pid!);
  // Stop reading: every error reply the bridge sends it stays unsent once the kernel buffers are full.
  flood.ws.pause();
  const junk = '{"type":"junk"}';
  let sent = 0;
  let cut = false;
  const deadline = Date.now() + 120_000;
  // Bounded: without the cap this would be ~60 MB of replies buffered in the bridge.
  while (!cut && Date.now() < deadline && sent < 400_000) {
    for (let i = 0; i < 2000 && flood.ws.readyState === flood.ws.OPEN; i++) flood.ws.send(junk);
    sent += 2000;
    while (flood.ws.readyState === flood.ws.OPEN && flood.ws.bufferedAmount > 256 * 1024) await sleep(5);
    cut = (await healthz(port)).connections === 1;
  }
  t.ok(cut || (await until(async () => (await healthz(port)).connections === 1, 10_000)), `the flooding connection was terminated (after ~${sent} frames)`);
  t.ok(await until(() => logs.some((l) => l.includes('client does not read its replies; connection terminated')), 5000), 'and that is logged');
  // The cap acts long before the flood ends (without it all 400,000 replies stay buffered and
  // RSS passes +500 MB). RSS is only a coarse guard: parsing the flood makes garbage that comes
  // and goes with V8's GC (+80 MB seen with the cap working).
  t.ok(sent < 200_000, `cut after ~${sent} frames, long before the flood's end`);
  const rssAfter = rssKiB(child.pid!);
  t.ok(rssAfter - rssBefore < 256 * 1024, `bridge RSS ${rssBefore} → ${rssAfter} KiB`);
  flood.ws.resume();
  t.ok(await Promise.race([flood.closed.then(() => true), sleep(10_000).then(() => false)]), 'the flooder sees its connection closed');
  const h = await healthz(port);
  t.match(h, { ok: true, targets: 1, subscribers: 1, connections: 1 }, 'the other subscription is intact');
  const from = other.received.length;
  await other.next('sample', () => true, 5000, from);
  t.equal((await other.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'the other client is unaffected');
});
