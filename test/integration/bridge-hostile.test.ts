// Hostile input and hostile neighbours (issue 13), against a real bridge: DNS rebinding
// (foreign Host names), special files as core paths, many spellings of one core, and the
// limits on what one client may take.
import { execFileSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { testBridge, TestClient } from '../support/bridge.ts';
import { tempDir } from '../support/cli.ts';
import { procStatus } from '../support/proc.ts';
import { fixture, GoTarget } from '../support/go-targets.ts';

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
  const c = await TestClient.connect(bridge, t);
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
  const c = await TestClient.connect(bridge, t);
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
  t.equal(procStatus(go.pid)?.tracerPid, 0, 'the running target was never attached');
});
