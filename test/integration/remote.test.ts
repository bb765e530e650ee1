// Remote targets over ssh, against a real sshd (private config and keys; one on loopback, one
// in its own network namespace as a separate host), real gdbserver and real Go fixtures:
// exact MemStats through the tunnel (local exe and executable fetched over the link), the
// bridge streaming {ssh, pid}, remote list-targets, a cut link (tunnel killed; namespace
// link down) with the target left running and untraced and the bridge recovering, and each
// error as one clear line. After every test no ssh client, sshd session or gdbserver of
// ours remains.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TargetReader } from '../../bridge/go/target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { parseDestination, sshArgv } from '../../bridge/access/remote/ssh.ts';
import { shCommand } from '../../bridge/access/remote/remote-sh.ts';
import { RemoteAccess } from '../../bridge/access/remote/remote-access.ts';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { spawnBridgeProcess, testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { differentialRound, jsonFields, prepareQuietScenario, rawMemStatsJson, waitQuiet, type RoundResult } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture, fixtures, type FixtureBuild } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';
import { sampleRetryingStops } from '../../scripts/kit/differential.ts';
import { ALIAS, sshClientsUsing, startSshd, type TestSshd } from '../../scripts/kit/sshd.ts';

t.setTimeout(300_000);
const log = silentLogger();
const root = t;

let loHost: TestSshd | undefined;
let nsHost: TestSshd | undefined;
/** The loopback sshd (shared; stopped when the file ends). */
async function loopback(): Promise<TestSshd> {
  return (loHost ??= await startSshd(root));
}
/** The sshd in its own network namespace: a different host address. Fails (never skips) if impossible. */
async function namespaced(): Promise<TestSshd> {
  return (nsHost ??= await startSshd(root, { netns: true }));
}

function tmp(t: { teardown(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startTarget(t: { teardown(fn: () => unknown): void }, build: FixtureBuild = fixture()): Promise<GoTarget> {
  const g = await GoTarget.start(build, ['-heartbeat', '0']);
  t.teardown(() => g.stop());
  return g;
}

function open(host: TestSshd, pid: number, opts: { exe?: string; cacheDir: string; alias?: string }): Promise<TargetReader> {
  return TargetReader.open(new RemoteAccess({ ssh: opts.alias ?? ALIAS.ok, pid, exe: opts.exe, sshConfig: host.config, log }), { log, cacheDir: opts.cacheDir });
}

/** The target runs (no thread stays stopped) and nobody traces it. */
async function leftAlone(t: Test, pid: number, what: string): Promise<void> {
  const ok = await until(() => fullyDetached(pid), 15_000);
  const s = readProcStatus(pid);
  t.ok(ok, `${what}: target ${pid} running and untraced (state ${s?.state}, tracer ${s?.tracerPid})`);
}

/** No ssh client of ours, and nothing below the sshd (sessions, shells, gdbserver). */
async function nothingLeft(t: Test, host: TestSshd, what: string): Promise<void> {
  const clean = await until(() => sshClientsUsing(host.config).length === 0 && host.descendants().length === 0, 10_000);
  t.ok(clean, `${what}: no ssh client, sshd session or gdbserver left (${JSON.stringify({ ssh: sshClientsUsing(host.config).map((c) => c.pid), remote: host.descendants() })})`);
}

/** Every field equal to the target's own ReadMemStats, or within the bound it is flagged with. */
function checkExact(t: Test, rounds: RoundResult[], label: string): void {
  for (const r of rounds) {
    const off: Record<string, unknown> = {};
    for (const [f, m] of Object.entries(r.cmp.mismatches)) {
      const est = r.sample.estimated[f as keyof typeof r.sample.estimated];
      const diff = BigInt(m.ours) - BigInt(m.theirs);
      if (!est || (diff < 0n ? -diff : diff) > est.bound) off[f] = m;
    }
    t.same(off, {}, `${label} ${r.mode}: every field equal to ReadMemStats (or within its flagged bound)`);
    if (Object.keys(r.sample.estimated).length === 0) t.ok(r.cmp.exact, `${label} ${r.mode}: JSON byte-identical to json.Marshal`);
    t.same(r.sample.meta.torn, [], `${label} ${r.mode}: not torn`);
  }
}

/** The tracer of `pid` is a gdbserver running under `host`'s sshd (the read really goes through the remote side). */
function tracedThrough(host: TestSshd, pid: number): boolean {
  const tracer = readProcStatus(pid)?.tracerPid ?? 0;
  return host.descendants().some((d) => d.pid === tracer && d.comm === 'gdbserver');
}

t.test('no client text reaches a shell: destinations are one argv entry after --, scripts fixed text', async (t) => {
  t.same(parseDestination('alice@db-1.example:2222'), { target: 'alice@db-1.example', port: 2222, host: 'db-1.example' });
  t.same(parseDestination('[fe80::1]'), { target: 'fe80::1', port: undefined, host: 'fe80::1' });
  for (const bad of ['-oProxyCommand=touch /tmp/x', 'host;reboot', 'a b', 'host:99999', '$(id)']) {
    t.throws(() => parseDestination(bad), { code: 'SSH_ERR_UNREACHABLE' }, `refused: ${bad}`);
  }
  const argv = sshArgv({ destination: 'me@host:2200', configFile: '/etc/x' }, ['-n'], 'exec sh -c true');
  t.same(argv.slice(-3), ['--', 'me@host', 'exec sh -c true'], 'destination after --, command last');
  t.ok(argv.includes('BatchMode=yes') && argv.includes('ControlPath=none'), 'no prompts, no shared master');
  t.throws(() => shCommand("echo '; reboot"), /single quotes/, 'a quote cannot enter a remote script');
});

t.test('separate host (network namespace), local exe: exact MemStats through the tunnel', async (t) => {
  const host = await namespaced();
  t.not(host.address, '127.0.0.1', `sshd listens on ${host.address} in netns ${host.netns}`);
  const build = fixture();
  const go = await startTarget(t, build);
  await prepareQuietScenario(go);
  const cacheDir = tmp(t, 'mstat-cache-');
  const t0 = performance.now();
  const r = await open(host, go.pid, { exe: build.path, cacheDir });
  t.comment(`attach with a local exe, cold layout cache: ${Math.round(performance.now() - t0)} ms`);
  t.teardown(() => r.close());
  t.equal(r.info.host, ALIAS.ok, 'labelled with the host');
  t.equal(r.info.goVersion, build.goVersion);
  t.notOk(r.layoutCached, 'layouts resolved (cold cache)');
  t.ok(tracedThrough(host, go.pid), 'traced by the gdbserver under the remote sshd');
  t.ok((await waitQuiet(r)).quiet, 'quiet');
  checkExact(t, await differentialRound(r, go, ['live', 'consistent']), 'local exe');
  // The Go collector's counters come with the memory; /proc over ssh arrives a moment later
  // (read off the sample's path, once every few seconds).
  const counters = await sampleRetryingStops(r, 'consistent');
  const reference = await go.command('runtime');
  t.strictSame([counters.runtime.goroutines, counters.runtime.threads, counters.runtime.gomaxprocs], [reference.goroutines, reference.threads, reference.gomaxprocs], 'goroutines, threads, GOMAXPROCS as the target has them');
  let process = counters.process;
  for (let i = 0; i < 50 && !process; i++) {
    await new Promise((res) => setTimeout(res, 100));
    process = (await r.sample('live')).process;
  }
  const stat = readFileSync(`/proc/${go.pid}/stat`, 'utf8');
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  t.equal(process?.startTimeSeconds, btime + Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / 100, 'process start time read over ssh');
  t.equal(process?.openFds, readdirSync(`/proc/${go.pid}/fd`).length, 'open fds read over ssh');
  await r.close();
  await leftAlone(t, go.pid, 'after close');
  await nothingLeft(t, host, 'after close');
});

t.test('separate host, executable fetched over the link: exact, and a warm layout cache skips resolution', async (t) => {
  const host = await namespaced();
  const go = await startTarget(t);
  await prepareQuietScenario(go);
  const cacheDir = tmp(t, 'mstat-cache-');
  const t0 = performance.now();
  const cold = await open(host, go.pid, { cacheDir });
  const coldMs = performance.now() - t0;
  t.teardown(() => cold.close());
  t.notOk(cold.layoutCached, 'cold: layouts resolved from the fetched executable');
  t.ok(cold.layoutCommands > 0, `cold: ${cold.layoutCommands} MI round trips`);
  t.ok((await waitQuiet(cold)).quiet, 'quiet');
  checkExact(t, await differentialRound(cold, go, ['live']), 'fetched exe');
  await cold.close();
  await leftAlone(t, go.pid, 'after the first close');

  const t1 = performance.now();
  const warm = await open(host, go.pid, { cacheDir });
  const warmMs = performance.now() - t1;
  t.teardown(() => warm.close());
  t.ok(warm.layoutCached, 'warm: layouts from the cache (keyed by Go build ID)');
  t.equal(warm.layoutCommands, 0, 'warm: no layout commands');
  t.comment(`attach with the fetched exe: cold ${Math.round(coldMs)} ms, warm ${Math.round(warmMs)} ms`);
  t.ok((await waitQuiet(warm)).quiet, 'quiet');
  checkExact(t, await differentialRound(warm, go, ['live']), 'fetched exe, warm cache');
  await warm.close();
  await leftAlone(t, go.pid, 'after the second close');
  await nothingLeft(t, host, 'after close');
});

t.test('a PIE build, executable fetched: the load bias comes out right', async (t) => {
  const host = await loopback();
  const build = fixtures().find((b) => b.variant === 'pie')!;
  const go = await startTarget(t, build);
  await prepareQuietScenario(go);
  const r = await open(host, go.pid, { cacheDir: tmp(t, 'mstat-cache-') });
  t.teardown(() => r.close());
  t.ok((await waitQuiet(r)).quiet, 'quiet');
  checkExact(t, await differentialRound(r, go, ['live']), 'PIE fetched');
  await r.close();
  await leftAlone(t, go.pid, 'after close');
  await nothingLeft(t, host, 'after close');
});

t.test('bridge: subscribe {ssh, pid} streams exact samples; list-targets on the remote host', async (t) => {
  const host = await loopback();
  const go = await startTarget(t);
  await go.command('gc');
  await go.command('pause');
  await go.command('freeos');
  await go.command('burst');
  const bridge = await testBridge(t, { sshConfig: host.config });
  const c = await WsClient.connect(bridge, t);
  const target = { ssh: ALIAS.ok, pid: go.pid };
  const sub = await c.request({ type: 'subscribe', id: 'r', target, intervalMs: 100 }, 'subscribed', 'r');
  t.equal(sub.type, 'subscribed', sub.type === 'error' ? sub.message : 'subscribed');
  if (sub.type !== 'subscribed') return;
  t.equal(sub.target.host, ALIAS.ok, 'target info names the host');
  const s3 = await c.next('sample', (m) => m.subscription === 'r' && m.seq === 3);
  t.equal(s3.target.host, ALIAS.ok);
  t.ok(tracedThrough(host, go.pid), 'read through the remote gdbserver');
  // The transport must not change a bit: the latest sample vs the target's own ReadMemStats.
  let ours = '';
  let theirs = '';
  for (let round = 0; round < 4 && ours !== theirs; round++) {
    const latest = await c.next('sample', () => true, 5000, c.received.length);
    ours = formatMemStatsJson(latest.memstats);
    theirs = rawMemStatsJson(await go.command('memstats'));
  }
  t.equal(ours, theirs, 'memstats over ssh + gdbserver + WebSocket == json.Marshal(ReadMemStats)');

  const list = await c.request({ type: 'list-targets', id: 'l', ssh: ALIAS.ok }, 'targets', 'l');
  t.equal(list.type, 'targets', list.type === 'error' ? list.message : 'targets');
  if (list.type === 'targets') {
    const me = list.targets.find((x) => x.pid === go.pid);
    t.match(me, { pid: go.pid, exe: fixture().path, goVersion: fixture().goVersion, attachable: true, attached: true }, 'our target: attachable, attached');
    t.notOk(list.targets.some((x) => x.pid === process.pid), 'node is not listed as Go');
  }
  const bad = await c.request({ type: 'list-targets', id: 'lx', ssh: ALIAS.closed }, 'targets', 'lx');
  t.match(bad, { type: 'error', code: 'SSH_UNREACHABLE', id: 'lx' }, 'list-targets on an unreachable host: a coded error for that request');

  await c.request({ type: 'unsubscribe', id: 'r' }, 'unsubscribed', 'r');
  await leftAlone(t, go.pid, 'after the last unsubscribe');
  await nothingLeft(t, host, 'after the linger');
});

/** Kills one of our ssh processes and checks the whole cycle: freed, told, reading again. */
async function cutAndRecover(t: Test, host: TestSshd, go: GoTarget, c: WsClient, sub: string, which: 'tunnel' | 'gdbserver session'): Promise<void> {
  const oldTracer = readProcStatus(go.pid)!.tracerPid;
  const procs = sshClientsUsing(host.config).filter((p) => (which === 'tunnel' ? p.argv.includes('-N') : p.argv.some((a) => a.includes('gdbserver --once'))));
  t.equal(procs.length, 1, `one ${which} ssh`);
  const from = c.received.length;
  process.kill(procs[0]!.pid, 'SIGKILL');
  // Between the cut and the re-attach (a new preflight comes first), the target must be free.
  const freed = await until(() => fullyDetached(go.pid), 15_000, 5);
  t.ok(freed, `${which} killed: the target runs untraced (gdbserver detached or was killed by its wrapper)`);
  // gdbserver detaches first and exits a moment later: gone soon, not necessarily already.
  t.ok(await until(() => !isAlive(oldTracer), 5000, 10), `${which} killed: the old gdbserver is gone`);
  const err = await c.next('error', (m) => m.id === sub, 15_000, from);
  t.equal(err.code, 'SSH_UNREACHABLE', `${which} killed: the subscriber is told: ${err.message}`);
  t.match(err.message, /dropped/, 'the message says the link dropped');
  const again = await c.next('sample', (m) => m.subscription === sub, 30_000, c.received.length);
  t.ok(again.seq > 2, `${which} killed: samples resume (seq ${again.seq})`);
  t.ok(tracedThrough(host, go.pid), `${which} killed: reading through a new gdbserver`);
}

t.test('link cut (tunnel, then the gdbserver session, killed): error, target left running and untraced, samples resume', async (t) => {
  const host = await loopback();
  const go = await startTarget(t);
  const bridge = await testBridge(t, { sshConfig: host.config });
  const c = await WsClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'k', target: { ssh: ALIAS.ok, pid: go.pid }, intervalMs: 100 }, 'subscribed', 'k');
  await c.next('sample', (m) => m.seq >= 2);
  await cutAndRecover(t, host, go, c, 'k', 'tunnel');
  await cutAndRecover(t, host, go, c, 'k', 'gdbserver session');
  await bridge.close();
  await leftAlone(t, go.pid, 'after the bridge closed');
  await nothingLeft(t, host, 'after the bridge closed');
});

t.test('bridge SIGKILLed mid-stream: nothing of it survives here or on the remote host, the target runs untraced', async (t) => {
  const host = await loopback();
  const go = await startTarget(t);
  const { child, port } = await spawnBridgeProcess(t, { env: { ...process.env, MSTAT_SSH_CONFIG: host.config } });
  const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws`);
  t.teardown(() => c.ws.terminate());
  await c.opened;
  await c.request({ type: 'subscribe', id: 's', target: { ssh: ALIAS.ok, pid: go.pid }, intervalMs: 50, mode: 'consistent' }, 'subscribed', 's');
  await c.next('sample', (m) => m.seq >= 3);
  t.ok(tracedThrough(host, go.pid), 'reading through the remote gdbserver');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  await leftAlone(t, go.pid, 'after the bridge was SIGKILLed');
  await nothingLeft(t, host, 'after the bridge was SIGKILLed');
});

t.test('link down (namespace veth down): target freed by the remote side, error, recovery when the link is back', async (t) => {
  const host = await namespaced();
  const go = await startTarget(t);
  const bridge = await testBridge(t, { sshConfig: host.config });
  const c = await WsClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'd', target: { ssh: ALIAS.ok, pid: go.pid }, intervalMs: 200 }, 'subscribed', 'd');
  await c.next('sample', (m) => m.seq >= 2);
  const from = c.received.length;
  const downAt = Date.now();
  host.setLink(false);
  t.teardown(() => host.setLink(true));
  // The wrapper on the remote side hears no heartbeat and lets the target go; here, ssh's
  // keepalives give up on the tunnel and the session reconnects.
  let freedMs = -1;
  let errMs = -1;
  const [err, freed] = await Promise.all([
    c.next('error', (m) => m.id === 'd', 40_000, from).then((m) => ((errMs = Date.now() - downAt), m)),
    until(() => {
      const ok = fullyDetached(go.pid);
      if (ok && freedMs < 0) freedMs = Date.now() - downAt;
      return ok;
    }, 40_000, 50),
  ]);
  t.comment(`link down: error after ${errMs} ms (${err.code}: ${err.message}); target free after ${freedMs} ms`);
  t.equal(err.code, 'SSH_UNREACHABLE', 'the subscriber is told the link dropped');
  t.ok(freed, 'with the link still down, the target runs untraced (freed by the remote side)');
  host.setLink(true);
  const upAt = Date.now();
  const again = await c.next('sample', (m) => m.subscription === 'd', 90_000, c.received.length);
  t.comment(`samples again ${Date.now() - upAt} ms after the link came back (seq ${again.seq})`);
  t.ok(tracedThrough(host, go.pid), 'reading through a new gdbserver');
  await bridge.close();
  await leftAlone(t, go.pid, 'after the bridge closed');
  await nothingLeft(t, host, 'after the bridge closed');
});

t.test('errors: one clear line each, the target untouched', async (t) => {
  const host = await loopback();
  const go = await startTarget(t);
  const other = fixtures().find((b) => b.variant === 'default' && b.goVersion !== fixture().goVersion)!;
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill());
  const { alias: userAlias } = await host.addUser();
  const bridge = await testBridge(t, { sshConfig: host.config });
  const c = await WsClient.connect(bridge, t);
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['unreachable (closed port)', { ssh: ALIAS.closed, pid: go.pid }, 'SSH_UNREACHABLE', /cannot reach mstat-closed .*Connection refused.*check the host name and port/],
    ['authentication refused (key not authorized)', { ssh: ALIAS.badKey, pid: go.pid }, 'SSH_AUTH_FAILED', /refused authentication .*Permission denied.*ssh-copy-id/],
    ['host key unknown (empty known_hosts)', { ssh: ALIAS.unknownHost, pid: go.pid }, 'SSH_HOST_KEY_UNKNOWN', /host key of mstat-unknownhost is not in known_hosts; connect once/],
    ['gdbserver missing (PATH without it)', { ssh: ALIAS.noGdbserver, pid: go.pid }, 'GDBSERVER_MISSING', /gdbserver is not installed on mstat-nogdbserver.*apt-get install gdbserver/],
    ['remote PID missing', { ssh: ALIAS.ok, pid: 0x3fffff00 }, 'NO_SUCH_PROCESS', /no process with PID \d+ on mstat-ok/],
    ['not Go (sleep)', { ssh: ALIAS.ok, pid: sleeper.pid }, 'NOT_GO', /process \d+ on mstat-ok \(.*sleep\) is not a Go program/],
    ['ptrace not permitted (unprivileged ssh user, root-owned target)', { ssh: userAlias, pid: go.pid }, 'PERMISSION_DENIED', /ptrace not permitted on process \d+ on mstat-user-.*runs as uid 0 and ssh logs in as uid \d+.*connect as root/],
    ['local exe of another build', { ssh: ALIAS.ok, pid: go.pid, exe: other.path }, 'NO_SYMBOLS', /is not the build process \d+ on mstat-ok runs \(Go build ID/],
  ];
  for (const [what, target, code, re] of cases) {
    const id = `e${cases.findIndex((x) => x[0] === what)}`;
    const r = await c.request({ type: 'subscribe', id, target, intervalMs: 100 }, 'subscribed', id);
    t.equal(r.type, 'error', what);
    if (r.type !== 'error') continue;
    t.equal(r.code, code, `${what}: ${r.code}`);
    t.match(r.message, re, `${what}: ${r.message}`);
    t.notMatch(r.message, /\n/, `${what}: one line`);
    await leftAlone(t, go.pid, what);
  }
  const inj = await c.request({ type: 'subscribe', id: 'inj', target: { ssh: '-oProxyCommand=touch /tmp/mstat-pwned', pid: go.pid } }, 'subscribed', 'inj');
  t.match(inj, { type: 'error', code: 'BAD_REQUEST' }, 'an option as destination never reaches ssh');
  t.equal(bridge.manager.targetCount, 0, 'no session left by the failures');
  await leftAlone(t, go.pid, 'after all');
  await nothingLeft(t, host, 'after all');
});

t.teardown(async () => {
  // Whatever a failed test left: the sshds' teardowns kill their sessions; report our ssh clients.
  for (const h of [loHost, nsHost]) if (h) for (const c of sshClientsUsing(h.config)) process.kill(c.pid, 'SIGKILL');
  await sleep(10);
});

t.test('mstat --ssh DEST --pid PID --ssh-config FILE: exact JSON; bad destination → 2; unreachable → 8', async (t) => {
  const { estimatedFields, runMstat } = await import('../support/cli.ts');
  const host = await loopback();
  const go = await startTarget(t);
  await prepareQuietScenario(go);
  const cache = tmp(t, 'mstat-cli-remote-');
  // Settle with our own reader first (as the differential tests do), then read with the CLI.
  const probe = await open(host, go.pid, { exe: fixture().path, cacheDir: cache });
  await waitQuiet(probe);
  await probe.close();
  const r = await runMstat(['--ssh', ALIAS.ok, '--pid', String(go.pid), '--ssh-config', host.config, '--mode', 'consistent'], { env: { MSTAT_CACHE_DIR: cache } });
  t.equal(r.code, 0, `exit 0: ${r.stderr.trim()}`);
  const theirs = rawMemStatsJson(await go.command('memstats'));
  const bounds = estimatedFields(r.stderr);
  if (bounds.size === 0) t.equal(r.stdout.trim(), theirs, 'byte-identical to the target\'s own json.Marshal(ReadMemStats)');
  else {
    // Fields the CLI flagged as estimated may differ, within their stated bound; nothing else.
    const ours = jsonFields(r.stdout.trim());
    const within = (f: string, v: string): boolean => {
      const d = BigInt(ours.get(f)!) - BigInt(v);
      return bounds.has(f) && (d < 0n ? -d : d) <= bounds.get(f)!;
    };
    const off = [...jsonFields(theirs)].filter(([f, v]) => ours.get(f) !== v && !within(f, v));
    t.same(off.map(([f]) => f), [], `equal to the target's ReadMemStats except flagged fields within their bound (${[...bounds.keys()].join(', ')})`);
  }
  await leftAlone(t, go.pid, 'after mstat --ssh');
  const bad = await runMstat(['--ssh', '-oProxyCommand=touch /tmp/pwned', '--pid', String(go.pid)]);
  t.equal(bad.code, 2, `an option as destination is a usage error: ${bad.stderr.trim()}`);
  const down = await runMstat(['--ssh', 'root@127.0.0.1:1', '--pid', String(go.pid), '--ssh-config', host.config]);
  t.equal(down.code, 8, `unreachable host → 8: ${down.stderr.trim()}`);
  t.equal(down.stderr.trim().split('\n').length, 1, 'one line');
  await nothingLeft(t, host, 'after the CLI runs');
});
