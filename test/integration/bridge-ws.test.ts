// The bridge end to end: a real bridge, real gdb, real Go fixtures, real ws clients.
import { spawn } from 'node:child_process';
import t from 'tap';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { configFromArgs } from '../../bridge/config.ts';
import { spawnBridgeProcess, TestClient, testBridge } from '../support/bridge.ts';
import { rawMemStatsJson, waitQuiet } from '../support/differential.ts';
import { fixture, GoTarget } from '../support/go-targets.ts';
import { isAlive, lingeringStops, procStatus, sleep, until } from '../support/proc.ts';
import { LocalTarget } from '../../bridge/go/target.ts';
import { silentLogger } from '../../bridge/log.ts';

async function startTarget(t: { teardown(fn: () => unknown): void }, args: string[] = ['-heartbeat', '0']): Promise<GoTarget> {
  const g = await GoTarget.start(fixture(), args);
  t.teardown(() => g.stop());
  return g;
}

t.test('subscribe: samples with increasing seq, exact MemStats on a quiet target, rates', async (t) => {
  const go = await startTarget(t);
  await go.command('gc');
  await go.command('pause');
  await go.command('freeos'); // no background scavenging later
  await go.command('burst');
  // Let the target settle (our own reader, then detach) so the bridge's sample is quiet too.
  const probe = await LocalTarget.open({ pid: go.pid, log: silentLogger() });
  await waitQuiet(probe);
  await probe.close();

  const bridge = await testBridge(t);
  const c = await TestClient.connect(bridge, t);
  const sub = await c.request({ type: 'subscribe', id: 's1', target: { pid: go.pid }, intervalMs: 100 }, 'subscribed', 's1');
  t.equal(sub.type, 'subscribed');
  if (sub.type !== 'subscribed') return;
  t.equal(sub.target.pid, go.pid);
  t.match(sub.target.goVersion, /^go1\./);
  const s1 = await c.next('sample', (m) => m.seq === 1);
  const s3 = await c.next('sample', (m) => m.seq === 3);
  t.ok(s3.rates, 'rates between consecutive samples');
  t.equal(typeof s1.memstats.NextGC, 'bigint', 'uint64 decoded to bigint');
  t.match(c.raw.find((r) => r.includes('"seq":1'))!, /"NextGC":"\d+"/, 'uint64 travels as a decimal string');
  // Exactness through the whole stack: the latest sample vs the target's own ReadMemStats.
  const before = c.received.filter((m) => m.type === 'sample').length;
  // The decoder's exactness is proven elsewhere; here the transport must not change a bit.
  // Background runtime work between the read and the command can still move a field, so
  // up to three rounds are tried, and the mismatch of the last one is shown.
  let latest = await c.next('sample', () => true, 5000, c.received.length);
  let ours = '';
  let theirs = '';
  for (let round = 0; round < 3; round++) {
    latest = await c.next('sample', () => true, 5000, c.received.length);
    ours = formatMemStatsJson(latest.memstats);
    theirs = rawMemStatsJson(await go.command('memstats'));
    if (ours === theirs) break;
  }
  t.equal(ours, theirs, 'memstats over the wire == json.Marshal(ReadMemStats)');
  t.equal(latest.meta.exact, Object.keys(latest.meta.estimated).length === 0 && latest.meta.torn.length === 0, 'meta.exact agrees with the estimated/torn flags');
  t.ok(before >= 3);
  await c.request({ type: 'unsubscribe', id: 's1' }, 'unsubscribed', 's1');
  t.ok(await until(() => procStatus(go.pid)?.tracerPid === 0, 5000), 'last unsubscribe detaches (after the linger)');
});

t.test('two clients on one target share one gdb; each gets its own interval', async (t) => {
  const go = await startTarget(t);
  await go.command('pause'); // quiet target: cheap reads, so the intervals are what limits
  const bridge = await testBridge(t);
  const a = await TestClient.connect(bridge, t);
  const b = await TestClient.connect(bridge, t);
  await a.request({ type: 'subscribe', id: 'a', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'a');
  await b.request({ type: 'subscribe', id: 'b', target: { pid: go.pid }, intervalMs: 500 }, 'subscribed', 'b');
  t.equal(bridge.manager.targetCount, 1, 'one session');
  const tracer = procStatus(go.pid)?.tracerPid;
  t.equal(tracer, bridge.manager.sessionFor(go.pid)?.gdbPid, 'one gdb traces the target');
  await sleep(1200);
  const na = a.received.filter((m) => m.type === 'sample').length;
  const nb = b.received.filter((m) => m.type === 'sample').length;
  t.ok(na > nb, `the 50 ms subscriber got more samples (${na}) than the 500 ms one (${nb})`);
  t.ok(nb >= 2 && nb <= 4, `500 ms subscriber: ${nb} samples in 1.2 s`);
  a.ws.close();
  await sleep(300);
  t.equal(procStatus(go.pid)?.tracerPid, tracer, 'still attached for the other client');
  b.ws.close();
  t.ok(await until(() => procStatus(go.pid)?.tracerPid === 0, 5000), 'detached after the last client left');
  t.same(await lingeringStops(go.pid), [], 'target running');
});

t.test('target exits: target-exited, gdb gone, nothing left behind', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const c = await TestClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'x', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'x');
  const gdbPid = bridge.manager.sessionFor(go.pid)!.gdbPid!;
  await c.next('sample');
  await go.command('exit').catch(() => undefined);
  const ex = await c.next('target-exited', (m) => m.subscription === 'x');
  t.same(ex.target, { pid: go.pid });
  t.ok(await until(() => !isAlive(gdbPid), 5000), 'its gdb exited');
  t.ok(await until(() => bridge.manager.targetCount === 0, 5000), 'session removed');
});

t.test('gdb SIGKILLed: an error, then samples again; the target keeps running', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const c = await TestClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'k', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'k');
  await c.next('sample');
  const gdbPid = bridge.manager.sessionFor(go.pid)!.gdbPid!;
  process.kill(gdbPid, 'SIGKILL');
  const err = await c.next('error', (m) => m.id === 'k');
  t.equal(err.code, 'GDB_FAILED');
  const from = c.received.length;
  const again = await c.next('sample', () => true, 15_000, from);
  t.ok(again.seq > 1, `samples resume (seq ${again.seq})`);
  const newGdb = bridge.manager.sessionFor(go.pid)!.gdbPid!;
  t.not(newGdb, gdbPid, 'a new gdb');
  t.equal(procStatus(go.pid)?.tracerPid, newGdb);
});

t.test('bad input gets coded errors and changes nothing', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const c = await TestClient.connect(bridge, t);
  const expectError = async (frame: unknown, code: string, what: string): Promise<void> => {
    const from = c.received.length;
    c.send(frame);
    const e = await c.next('error', () => true, 15_000, from);
    t.equal(e.code, code, `${what}: ${e.message}`);
  };
  await expectError('{not json', 'BAD_REQUEST', 'malformed JSON');
  await expectError({ type: 'subscribe', id: 'w', target: { pid: '12' } }, 'BAD_REQUEST', 'wrong type');
  await expectError({ type: 'subscribe', id: 'w', target: { pid: go.pid }, intervalMs: 1 }, 'BAD_REQUEST', 'interval below the floor');
  await expectError({ type: 'explode', id: 'w' }, 'BAD_REQUEST', 'unknown type');
  await expectError({ type: 'ping', extra: 1 }, 'BAD_REQUEST', 'unknown field');
  await expectError({ type: 'unsubscribe', id: 'nope' }, 'UNKNOWN_SUBSCRIPTION', 'unknown subscription');
  await expectError({ type: 'subscribe', id: 'np', target: { pid: 0x3fffff00 } }, 'NO_SUCH_PROCESS', 'missing PID');
  const sleeper = spawn('sleep', ['30']);
  t.teardown(() => sleeper.kill());
  await expectError({ type: 'subscribe', id: 'ng', target: { pid: sleeper.pid } }, 'NOT_GO', 'non-Go process');
  for (const inj of ['"; -gdb-exit', '\n-target-detach', 'a'.repeat(65)]) {
    await expectError({ type: 'subscribe', id: inj, target: { pid: go.pid } }, 'BAD_REQUEST', `refused id ${JSON.stringify(inj.slice(0, 20))}`);
  }
  // Ids are opaque: strings that look like gdb commands are just names and never reach gdb.
  for (const inj of ['"-gdb-exit"', "'runtime.memstats'", '$(reboot)', '\\";kill']) {
    const r = await c.request({ type: 'subscribe', id: inj, target: { pid: go.pid }, intervalMs: 1000 }, 'subscribed', inj);
    t.equal(r.type, 'subscribed', `id ${inj} is only a name`);
    await c.request({ type: 'unsubscribe', id: inj }, 'unsubscribed', inj);
  }
  // Random frames: none may crash or wedge the bridge.
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 10_000; i++) {
    const n = Math.floor(rnd() * 60);
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(Math.floor(rnd() * 128));
    c.send(i % 3 === 0 ? JSON.stringify({ type: ['subscribe', 'ping', 'unsubscribe', 'list-targets'][i % 4], id: s }) : s);
  }
  const pong = await c.request({ type: 'ping', id: 'alive' }, 'pong', 'alive');
  t.equal(pong.type, 'pong', 'connection still usable after 10,000 random frames');
  // Oversized frame: the connection is closed by ws (1009), the bridge stays up.
  const big = await TestClient.connect(bridge, t);
  big.send('x'.repeat(64 * 1024));
  t.equal((await big.closed).code, 1009, 'oversized frame → close 1009');
  const d = await TestClient.connect(bridge, t);
  t.equal((await d.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bridge healthy');
  t.ok(await until(() => procStatus(go.pid)?.tracerPid === 0, 5000), 'detached again after the last unsubscribe');
  t.same(await lingeringStops(go.pid), [], 'target running');
});

t.test('token: required when configured; loopback is the default; non-loopback needs a token', async (t) => {
  const bridge = await testBridge(t, { token: 'secret-token-123' });
  await t.rejects(TestClient.connect(bridge, t), /401/, 'no token: 401');
  await t.rejects(TestClient.connect(bridge, t, '?token=wrong-token-000'), /401/, 'wrong token: 401');
  const ok = await TestClient.connect(bridge, t, '', { headers: { authorization: 'Bearer secret-token-123' } });
  t.equal((await ok.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bearer token accepted');
  const q = await TestClient.connect(bridge, t, '?token=secret-token-123');
  t.equal((await q.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', '?token= accepted');
  const m = await fetch(`http://127.0.0.1:${bridge.address.port}/metrics`);
  t.equal(m.status, 401, '/metrics needs the token too');
  const m2 = await fetch(`http://127.0.0.1:${bridge.address.port}/metrics`, { headers: { authorization: 'Bearer secret-token-123' } });
  t.equal(m2.status, 200);
  await t.rejects(TestClient.connect(bridge, t, '?token=secret-token-123', { headers: { origin: 'http://evil.example' } }), /403/, 'foreign Origin refused');
  t.equal(configFromArgs([])?.host, '127.0.0.1', 'default bind is loopback');
  t.throws(() => configFromArgs(['--listen', '0.0.0.0:7070']), /requires --token/);
  t.equal(configFromArgs(['--listen', '0.0.0.0:7070', '--token', 'abcdefgh'])?.host, '0.0.0.0');
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`bridge process ${signal}: targets keep running, untraced`, async (t) => {
    const go = await startTarget(t);
    const { child, port } = await spawnBridgeProcess(t);
    const c = new TestClient(`ws://127.0.0.1:${port}/v1/ws`);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    await c.request({ type: 'subscribe', id: 's', target: { pid: go.pid }, intervalMs: 50, mode: 'consistent' }, 'subscribed', 's');
    await c.next('sample');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const code = await exited;
    if (signal === 'SIGTERM') {
      t.equal(code, 0, 'exit 0');
      t.equal((await c.closed).code, 1001, 'clients closed with 1001');
    }
    t.ok(await until(() => procStatus(go.pid)?.tracerPid === 0, 5000), 'target untraced');
    t.same(await lingeringStops(go.pid), [], 'target not stopped');
    t.equal((await go.command('memstats')).event, 'memstats', 'target answers');
  });
}
