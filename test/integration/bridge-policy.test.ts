// The bridge's read policy end to end: --allow-exes, --same-uid (as an unprivileged user), and
// list-targets reporting what the policy refuses. Refusals share --allow-pids' wire code.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnBridgeProcess, testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { cliEnv, REPO_ROOT } from '../support/cli.ts';
import { createTempUser } from '../../scripts/kit/temp-user.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

async function startTarget(t: { teardown(fn: () => unknown): void }, variant: 'default' | 'nodwarf' = 'default'): Promise<GoTarget> {
  const g = await GoTarget.start(fixture({ variant }), ['-heartbeat', '0']);
  t.teardown(() => g.stop());
  return g;
}

const codeOf = (m: { type: string; code?: string }): string => (m.type === 'error' ? m.code! : m.type);

t.test('--allow-exes: a process running another executable is refused like an --allow-pids refusal', async (t) => {
  const go = await startTarget(t);
  const other = await startTarget(t, 'nodwarf'); // another executable file
  const bridge = await testBridge(t, { allowExes: [realpathSync(fixture().path)] });
  const c = await WsClient.connect(bridge, t);
  const r = await c.request({ type: 'subscribe', id: 'o', target: { pid: other.pid } }, 'subscribed', 'o');
  t.equal(codeOf(r), 'PERMISSION_DENIED', 'refused');
  if (r.type === 'error') t.match(r.message, new RegExp(`^PID ${other.pid} runs \\S+, which is not in this bridge's --allow-exes list$`));
  t.equal(readProcStatus(other.pid)?.tracerPid, 0, 'not attached');
  const sleeper = spawn('sleep', ['30']);
  t.teardown(() => sleeper.kill());
  t.equal(codeOf(await c.request({ type: 'subscribe', id: 's', target: { pid: sleeper.pid } }, 'subscribed', 's')), 'PERMISSION_DENIED', 'a non-Go executable: refused by the policy first');
  t.equal(codeOf(await c.request({ type: 'subscribe', id: 'r', target: { ssh: '127.0.0.1:1', pid: go.pid } }, 'subscribed', 'r')), 'PERMISSION_DENIED', 'remote targets cannot be checked: refused');
  t.equal(codeOf(await c.request({ type: 'list-targets', id: 'rl', ssh: '127.0.0.1:1' }, 'targets', 'rl')), 'PERMISSION_DENIED', 'remote listings too');
  t.equal(codeOf(await c.request({ type: 'subscribe', id: 'np', target: { pid: 0x3fffff00 } }, 'subscribed', 'np')), 'NO_SUCH_PROCESS', 'a PID that does not exist is still NO_SUCH_PROCESS');
  const ok = await c.request({ type: 'subscribe', id: 'g', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'g');
  t.equal(ok.type, 'subscribed', 'the allowed executable is read');
  await c.next('sample', (m) => m.subscription === 'g');
  // The same refusal code as --allow-pids.
  const byPid = await testBridge(t, { allowPids: [go.pid] });
  const d = await WsClient.connect(byPid, t);
  t.equal(codeOf(await d.request({ type: 'subscribe', id: 'o', target: { pid: other.pid } }, 'subscribed', 'o')), codeOf(r), '--allow-pids refuses with the same code');
});

t.test('mstat-bridge --allow-exes PATH (a symlink) and MSTAT_ALLOW_EXES, as a real process', async (t) => {
  const go = await startTarget(t);
  const dir = mkdtempSync(join(tmpdir(), 'mstat-allow-exes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const link = join(dir, 'memhog-link');
  symlinkSync(fixture().path, link);
  const a = await spawnBridgeProcess(t, { args: ['--allow-exes', link] });
  const ca = new WsClient(`ws://127.0.0.1:${a.port}/v1/ws`);
  t.teardown(() => ca.ws.terminate());
  await ca.opened;
  t.equal(codeOf(await ca.request({ type: 'subscribe', id: 'g', target: { pid: go.pid }, intervalMs: 100 }, 'subscribed', 'g')), 'subscribed', 'allowed through a symlink to its executable');
  await ca.next('sample');
  ca.ws.close();
  t.ok(await until(() => fullyDetached(go.pid), 10_000), 'detached');
  const b = await spawnBridgeProcess(t, { env: { ...process.env, MSTAT_ALLOW_EXES: realpathSync('/bin/sleep') } });
  const cb = new WsClient(`ws://127.0.0.1:${b.port}/v1/ws`);
  t.teardown(() => cb.ws.terminate());
  await cb.opened;
  const r = await cb.request({ type: 'subscribe', id: 'g', target: { pid: go.pid } }, 'subscribed', 'g');
  t.equal(codeOf(r), 'PERMISSION_DENIED', `MSTAT_ALLOW_EXES applies: ${r.type === 'error' ? r.message : ''}`);
});

t.test('list-targets: what the policy refuses is not attachable, and says so', async (t) => {
  const go = await startTarget(t);
  const other = await startTarget(t);
  const list = async (over: Parameters<typeof testBridge>[1]) => {
    const bridge = await testBridge(t, over);
    const c = await WsClient.connect(bridge, t);
    const r = await c.request({ type: 'list-targets', id: 'l' }, 'targets', 'l');
    if (r.type !== 'targets') throw new Error(`list-targets: ${r.type === 'error' ? r.message : 'no listing'}`);
    c.ws.close();
    return (pid: number) => r.targets.find((x) => x.pid === pid);
  };
  const byPid = await list({ allowPids: [go.pid] });
  t.match(byPid(go.pid), { attachable: true }, 'the allowed PID is attachable');
  t.equal(byPid(go.pid)?.reason, undefined);
  t.match(byPid(other.pid), { attachable: false, reason: /^refused by this bridge's policy: .*--allow-pids/ }, '--allow-pids');
  const byExe = await list({ allowExes: [realpathSync('/bin/sleep')] });
  for (const pid of [go.pid, other.pid]) t.match(byExe(pid), { attachable: false, reason: /^refused by this bridge's policy: .*--allow-exes/ }, `--allow-exes (PID ${pid})`);
  t.match(byExe(go.pid), { goVersion: /^go1\./ }, 'still listed with its Go version');
  const byUid = await list({ sameUid: true });
  t.match(byUid(go.pid), { attachable: true }, '--same-uid: a process of our own uid is attachable');
  const none = await list({});
  t.match(none(other.pid), { attachable: true }, 'no policy: attachable');
});

/** memhog run as another user; its PID once it is ready. */
async function startAsUser(t: { teardown(fn: () => unknown): void }, user: { uid: number; gid: number }): Promise<number> {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0'], {}, { asUser: user });
  t.teardown(() => go.stop());
  return go.pid;
}

t.test('--same-uid, unprivileged bridge: a root-owned target is refused by the policy; a target of its own user is read', async (t) => {
  const root = await startTarget(t);
  const user = createTempUser();
  t.teardown(() => user.remove());
  const home = mkdtempSync(join(tmpdir(), 'mstat-bridge-user-'));
  chmodSync(home, 0o777);
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const mine = await startAsUser(t, user);
  const { port } = await spawnBridgeProcess(t, {
    prefix: ['env', '-u', 'NODE_OPTIONS', 'setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--inh-caps=-all'],
    cwd: REPO_ROOT,
    env: cliEnv({ HOME: home, MSTAT_CACHE_DIR: home }),
    args: ['--same-uid'],
  });
  const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws`);
  t.teardown(() => c.ws.terminate());
  await c.opened;
  const r = await c.request({ type: 'subscribe', id: 'root', target: { pid: root.pid } }, 'subscribed', 'root');
  t.equal(codeOf(r), 'PERMISSION_DENIED', 'root-owned target refused');
  if (r.type === 'error') t.match(r.message, new RegExp(`^PID ${root.pid} runs as uid 0, not the bridge's uid ${user.uid} \\(the bridge runs with --same-uid\\)$`), 'by the policy, not by ptrace');
  t.equal(readProcStatus(root.pid)?.tracerPid, 0, 'root target untouched');
  const ok = await c.request({ type: 'subscribe', id: 'mine', target: { pid: mine }, intervalMs: 100 }, 'subscribed', 'mine');
  t.equal(codeOf(ok), 'subscribed', `a target of the bridge's own uid is read${ok.type === 'error' ? `: ${ok.message}` : ''}`);
  if (ok.type === 'subscribed') {
    await c.next('sample', (m) => m.subscription === 'mine');
    t.pass('samples arrive');
  }
  const l = await c.request({ type: 'list-targets', id: 'l' }, 'targets', 'l');
  if (l.type === 'targets') {
    t.match(l.targets.find((x) => x.pid === root.pid), { attachable: false, reason: /^refused by this bridge's policy: .*--same-uid/ }, 'listed as refused by the policy');
    t.match(l.targets.find((x) => x.pid === mine), { attachable: true, attached: true }, 'its own target: attachable, attached');
  } else t.fail(`list-targets: ${l.type === 'error' ? l.message : 'no listing'}`);
  await c.request({ type: 'unsubscribe', id: 'mine' }, 'unsubscribed', 'mine');
  t.ok(await until(() => fullyDetached(mine), 10_000), 'detached after the unsubscribe');
  t.equal((await c.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bridge healthy');
});
