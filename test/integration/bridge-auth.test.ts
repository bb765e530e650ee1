// Authentication by default (issue 13): the bridge makes a token at first start and keeps it
// in a 0600 file of its user's config dir; clients running as that user find it (mstat
// --bridge), any other local user gets 401 — the bridge no longer lends its ptrace rights to
// whoever can reach the loopback port. --no-auth is the explicit opt-out.
import { mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { spawnBridgeProcess } from '../support/bridge.ts';
import { runMstat, tempDir } from '../support/cli.ts';
import { createTempUser } from '../../scripts/kit/temp-user.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';

/** Opens a ws connection; resolves with 'open' or the HTTP status it was refused with. */
function tryConnect(port: number, token?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(String(res.statusCode));
      ws.terminate();
    });
    ws.once('error', (e) => resolve(e.message));
  });
}

t.test('by default: a token made at first start, 0600; without it 401 on the data, 200 (no details) on /healthz', async (t) => {
  const config = tempDir(t, 'mstat-xdg-');
  const env = { ...process.env, XDG_CONFIG_HOME: config };
  const { port, logs } = await spawnBridgeProcess(t, { env, args: ['--token-file', join(config, 'mstat-bridge', 'token')] });
  const file = join(config, 'mstat-bridge', 'token');
  const st = statSync(file);
  t.equal(st.mode & 0o777, 0o600, 'the token file is 0600');
  t.equal(statSync(join(config, 'mstat-bridge')).mode & 0o777, 0o700, 'its directory 0700');
  const token = readFileSync(file, 'utf8').trim();
  t.ok(token.length >= 40, 'a long random token');
  t.ok(logs.some((l) => l.includes(`?token=${token}`)), 'the log names the dashboard URL with the token');

  t.equal(await tryConnect(port), '401', 'no token: 401');
  t.equal(await tryConnect(port, 'wrong-token-123'), '401', 'a wrong token: 401');
  t.equal(await tryConnect(port, token), 'open', 'the token: connected');
  t.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401, '/metrics without the token: 401');
  t.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200, '/metrics with it');
  const probe = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.same([probe.status, await probe.json()], [200, { ok: true, status: 'ok' }], '/healthz for a probe: up or not, nothing more');
  const full = (await (await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
  t.match(full, { ok: true, targets: 0, connections: 0 }, 'with the token: the details');
});

t.test('the default token file path; mstat --bridge finds it as the same user; another user gets 401', async (t) => {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  const config = tempDir(t, 'mstat-xdg-');
  // The default path under XDG_CONFIG_HOME, for the bridge and for mstat alike.
  const { port } = await spawnBridgeProcess(t, { env: { ...process.env, XDG_CONFIG_HOME: config, MSTAT_TOKEN_FILE: '' } });
  t.ok(statSync(join(config, 'mstat-bridge', 'token')).isFile(), 'made at $XDG_CONFIG_HOME/mstat-bridge/token');
  const url = `ws://127.0.0.1:${port}`;
  const user = createTempUser();
  t.teardown(() => user.remove());
  const theirs = await runMstat(['--pid', String(go.pid), '--bridge', url], { env: { XDG_CONFIG_HOME: config }, asUser: user });
  t.equal(theirs.code, 7, 'another local user: exit 7');
  t.match(theirs.stderr, /HTTP 401: the bridge wants a token/, `one line that says why: ${theirs.stderr.trim()}`);
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, 'and the target was not attached for them');

  const mine = await runMstat(['--pid', String(go.pid), '--bridge', url], { env: { XDG_CONFIG_HOME: config } });
  t.equal(mine.code, 0, `mstat --bridge as the bridge's user, no --token: read (${mine.stderr.trim()})`);
});

t.test('a token file others can read is refused at start; --no-auth opts out', async (t) => {
  const dir = tempDir(t, 'mstat-tok-');
  const file = join(dir, 'token');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, 'a-shared-token-value\n');
  chmodSync(file, 0o644);
  await t.rejects(spawnBridgeProcess(t, { args: ['--token-file', file] }), /can be read by others \(mode 644\); chmod 600 it/, 'not started');
  const { port } = await spawnBridgeProcess(t, { args: ['--no-auth'] });
  t.equal(await tryConnect(port), 'open', '--no-auth: no token needed');
});
