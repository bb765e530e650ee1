// Hostile input and hostile neighbours (issue 13), against a real bridge: DNS rebinding
// (foreign Host names), special files as core paths, many spellings of one core, and the
// limits on what one client may take.
import { execFileSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { healthz, testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { tempDir } from '../support/cli.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';
import { openTestGdb } from '../support/gdb.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';

/** One raw HTTP request with our own Host (fetch will not set it); resolves with the status. */
function rawStatus(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, setHost: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };

t.test('DNS rebinding: a foreign Host name gets 421 on every route; ours, IPs and --allow-hosts work', async (t) => {
  const bridge = await testBridge(t, { allowHosts: ['mon.lan'] });
  const port = bridge.address.port;
  const evil = `attacker.example:${port}`;
  for (const path of ['/v1/ws', '/metrics', '/healthz', '/', '/?pid=1']) {
    const r = await rawStatus(port, path, { host: evil, origin: `http://${evil}`, ...(path === '/v1/ws' ? upgrade : {}) });
    t.equal(r.status, 421, `${path} with Host ${evil}: 421`);
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `mon.lan:${port}`]) {
    t.equal((await rawStatus(port, '/healthz', { host })).status, 200, `/healthz with Host ${host}`);
    t.equal((await rawStatus(port, '/v1/ws', { host, origin: `http://${host}`, ...upgrade })).status, 101, `/v1/ws with Host ${host}: upgraded`);
  }
  t.equal((await rawStatus(port, '/v1/ws', { host: `127.0.0.1:${port}`, origin: `http://${evil}`, ...upgrade })).status, 403, 'a foreign Origin on our Host: 403 as before');
  const c = await WsClient.connect(bridge, t);
  const pong = await c.request({ type: 'ping', id: 'p' }, 'pong', 'p');
  t.equal(pong.type, 'pong', 'an ordinary client is served');
});

t.test('special files as core or exe paths: BAD_REQUEST at once, nothing hangs', async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'core.fifo');
  execFileSync('mkfifo', [fifo]);
  const exe = fixture().path;
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
  // More than Node's 4 file-pool threads: a blocking open of any of them would hang the rest.
  const cases: Array<[string, unknown]> = [
    ...[1, 2, 3, 4, 5, 6].map((i) => [`FIFO core #${i}`, { core: fifo, exe }] as [string, unknown]),
    ['FIFO as the unstripped copy of a running target', { pid: go.pid, exe: fifo }],
    ['directory core', { core: dir, exe }],
    ['device core', { core: '/dev/zero', exe }],
  ];
  for (const [i, [what, target]] of cases.entries()) {
    const r = await c.request({ type: 'subscribe', id: `f${i}`, target }, 'subscribed', `f${i}`);
    t.match(r, { type: 'error', code: 'BAD_REQUEST', message: /is a (FIFO|directory|device); give the path of a regular file/ }, `${what}: ${r.type === 'error' ? r.message : r.type}`);
  }
  const listed = await c.request({ type: 'list-targets', id: 'l' }, 'targets', 'l');
  t.equal(listed.type, 'targets', 'list-targets still answers');
  t.equal(bridge.manager.targetCount, 0, 'no gdb started');
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, 'the running target was never attached');
});

/** A raw ws client that records messages and its close code. */
function rawClient(port: number, localAddress: string): Promise<{ ws: WebSocket; messages: Array<{ type: string; code?: string }>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { localAddress });
    const messages: Array<{ type: string; code?: string }> = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as { type: string; code?: string }));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

t.test('limits: connections in all and per address, closed with TOO_MANY_CONNECTIONS', async (t) => {
  const bridge = await testBridge(t, { maxConnections: 3, maxConnectionsPerAddress: 2 });
  const port = bridge.address.port;
  const clients = [await rawClient(port, '127.0.0.1'), await rawClient(port, '127.0.0.1')];
  t.teardown(() => clients.forEach((c) => c.ws.terminate()));
  const third = await rawClient(port, '127.0.0.1');
  t.equal(await third.closed, 1013, 'a third connection from 127.0.0.1 is closed with 1013');
  t.match(third.messages, [{ type: 'error', code: 'TOO_MANY_CONNECTIONS' }], 'after a TOO_MANY_CONNECTIONS error');
  clients.push(await rawClient(port, '127.0.0.2'));
  const fourth = await rawClient(port, '127.0.0.3');
  t.equal(await fourth.closed, 1013, 'a fourth connection from anywhere: 1013 (3 in all)');
  for (const c of clients.splice(0)) c.ws.terminate();
  t.ok(await until(async () => (await healthz(port)).connections === 0, 5000), 'all closed');
  const again = await rawClient(port, '127.0.0.1');
  t.teardown(() => again.ws.terminate());
  await sleep(200);
  t.equal(again.ws.readyState, WebSocket.OPEN, 'a place freed is taken again');
});

t.test('limits: targets, frames and list-targets per connection; each with its code', async (t) => {
  const a = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => a.stop());
  const b = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => b.stop());
  const bridge = await testBridge(t, { maxTargets: 1, maxFramesPerSecond: 20, maxListsPerMinute: 6 });
  const c = await WsClient.connect(bridge, t);
  const ok = await c.request({ type: 'subscribe', id: 'a', target: { pid: a.pid }, intervalMs: 100 }, 'subscribed', 'a');
  t.equal(ok.type, 'subscribed', 'the first target');
  const more = await c.request({ type: 'subscribe', id: 'b', target: { pid: b.pid } }, 'subscribed', 'b');
  t.match(more, { type: 'error', code: 'TOO_MANY_TARGETS', message: /--max-targets 1/ }, 'a second target: TOO_MANY_TARGETS');
  t.equal(readProcStatus(b.pid)?.tracerPid, 0, 'and it was not attached');
  const same = await c.request({ type: 'subscribe', id: 'a2', target: { pid: a.pid } }, 'subscribed', 'a2');
  t.equal(same.type, 'subscribed', 'another subscription to the same target shares its gdb');

  // A flood of frames: dropped unread past the bucket, one RATE_LIMITED a second at most;
  // the other connection's samples keep coming.
  const witness = await WsClient.connect(bridge, t);
  witness.send({ type: 'subscribe', id: 'w', target: { pid: a.pid }, intervalMs: 100 });
  await witness.next('sample', () => true, 15_000);
  const busy = await WsClient.connect(bridge, t);
  const from = witness.received.length;
  for (let i = 0; i < 150; i++) busy.send({ type: 'ping', id: `p${i}` });
  await sleep(1000);
  const pongs = busy.received.filter((m) => m.type === 'pong').length;
  const limited = busy.received.filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED').length;
  t.ok(pongs >= 40 && pongs < 150, `150 pings at once: ${pongs} answered (burst 40, then 20/s)`);
  t.ok(limited >= 1 && limited <= 2, `${limited} RATE_LIMITED replies, not one per dropped frame`);
  t.equal(busy.ws.readyState, WebSocket.OPEN, 'a busy client stays connected');
  // Ten times the rate dropped within a second is a flood: the connection is closed.
  const flood = await WsClient.connect(bridge, t);
  for (let i = 0; i < 2000; i++) flood.send({ type: 'ping', id: `f${i}` });
  const closed = await flood.closed;
  t.equal(closed.code, 1008, 'a flood is closed with 1008');
  t.ok(flood.received.some((m) => m.type === 'error' && m.code === 'RATE_LIMITED' && /connection closed/.test(m.message)), 'after a RATE_LIMITED error saying so');
  t.ok(witness.received.slice(from).filter((m) => m.type === 'sample').length >= 5, 'the witness kept receiving samples');

  const lister = await WsClient.connect(bridge, t);
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push(await lister.request({ type: 'list-targets', id: `l${i}` }, 'targets', `l${i}`));
  t.same(answers.map((r) => (r.type === 'error' ? r.code : r.type)), ['targets', 'targets', 'targets', 'targets', 'targets', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'], 'list-targets: a burst of 5, then RATE_LIMITED');
});

t.test('a target another debugger traces: TARGET_BUSY naming the tracer, not ptrace advice', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  const other = await openTestGdb(t);
  await attachInBackground(other, go.pid);
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
  const r = await c.request({ type: 'subscribe', id: 'busy', target: { pid: go.pid } }, 'subscribed', 'busy');
  t.match(r, { type: 'error', code: 'TARGET_BUSY', message: new RegExp(`already traced by process ${other.pid} \\(gdb\\)`) }, r.type === 'error' ? r.message : r.type);
  t.notMatch(r.type === 'error' ? r.message : '', /run as root/, 'no root advice');
  t.equal(bridge.manager.targetCount, 0, 'no gdb of ours started');
});
