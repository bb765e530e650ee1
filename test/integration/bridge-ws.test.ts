// The bridge end to end: a real bridge, real gdb, real Go fixtures, real ws clients.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { configFromArgs } from '../../bridge/config.ts';
import { healthz, spawnBridgeProcess, testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { descendants } from '../../scripts/kit/process-tree.ts';
import { rawMemStatsJson, waitQuiet } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive, lingeringStops } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';
import { LocalTarget } from '../../bridge/access/local-target.ts';
import { silentLogger } from '../../bridge/log.ts';
import { ClientMessageSchema } from '../../protocol/client-messages.ts';

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
  const c = await WsClient.connect(bridge, t);
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
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'last unsubscribe detaches (after the linger)');
});

t.test('two clients on one target share one gdb; each gets its own interval', async (t) => {
  const go = await startTarget(t);
  await go.command('pause'); // quiet target: cheap reads, so the intervals are what limits
  const bridge = await testBridge(t);
  const a = await WsClient.connect(bridge, t);
  const b = await WsClient.connect(bridge, t);
  await a.request({ type: 'subscribe', id: 'a', target: { pid: go.pid }, intervalMs: 50 }, 'subscribed', 'a');
  await b.request({ type: 'subscribe', id: 'b', target: { pid: go.pid }, intervalMs: 500 }, 'subscribed', 'b');
  t.equal(bridge.manager.targetCount, 1, 'one session');
  const tracer = readProcStatus(go.pid)?.tracerPid;
  t.equal(tracer, bridge.manager.sessionFor(go.pid)?.gdbPid, 'one gdb traces the target');
  await sleep(1200);
  const na = a.received.filter((m) => m.type === 'sample').length;
  const nb = b.received.filter((m) => m.type === 'sample').length;
  t.ok(na > nb, `the 50 ms subscriber got more samples (${na}) than the 500 ms one (${nb})`);
  t.ok(nb >= 2 && nb <= 4, `500 ms subscriber: ${nb} samples in 1.2 s`);
  a.ws.close();
  await sleep(300);
  t.equal(readProcStatus(go.pid)?.tracerPid, tracer, 'still attached for the other client');
  b.ws.close();
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'detached after the last client left');
  t.same(await lingeringStops(go.pid), [], 'target running');
});

t.test('target exits: target-exited, gdb gone, nothing left behind', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
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
  const c = await WsClient.connect(bridge, t);
  // Consistent mode: the kill can land while gdb holds every thread stopped.
  await c.request({ type: 'subscribe', id: 'k', target: { pid: go.pid }, intervalMs: 50, mode: 'consistent' }, 'subscribed', 'k');
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
  t.equal(readProcStatus(go.pid)?.tracerPid, newGdb);
  t.notOk(isAlive(gdbPid), 'the killed gdb is gone');
  await c.request({ type: 'unsubscribe', id: 'k' }, 'unsubscribed', 'k');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'detached after the unsubscribe');
  t.same(await lingeringStops(go.pid), [], 'no thread of the target left stopped');
  t.equal((await go.command('memstats')).event, 'memstats', 'target answers');
});

t.test('bad input gets coded errors and changes nothing', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const c = await WsClient.connect(bridge, t);
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
  // Oversized frame: the connection is closed by ws (1009), the bridge stays up.
  const big = await WsClient.connect(bridge, t);
  big.send('x'.repeat(64 * 1024));
  t.equal((await big.closed).code, 1009, 'oversized frame → close 1009');
  const d = await WsClient.connect(bridge, t);
  t.equal((await d.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bridge healthy');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'detached again after the last unsubscribe');
  t.same(await lingeringStops(go.pid), [], 'target running');
});

t.test('subscribing again while the linger detach is in flight: a fresh attach and samples, never TARGET_EXITED', async (t) => {
  const go = await startTarget(t);
  await go.command('pause');
  const bridge = await testBridge(t, { lingerMs: 30 });
  const c = await WsClient.connect(bridge, t);
  for (let round = 0; round < 3; round++) {
    const first = `first${round}`;
    await c.request({ type: 'subscribe', id: first, target: { pid: go.pid }, intervalMs: 20 }, 'subscribed', first);
    await c.next('sample', (m) => m.subscription === first);
    const old = bridge.manager.sessionFor(go.pid)!;
    // Deterministic: act at the very moment the linger's close() has started the detach.
    let direct: ReturnType<typeof bridge.manager.subscribe> | undefined;
    let directSamples = 0;
    const directErrors: unknown[] = [];
    let again = '';
    let inFlight = false;
    let fired = false;
    const close = old.close.bind(old);
    old.close = () => {
      const p = close();
      // Once: the manager itself calls close() again to wait for this detach.
      if (!fired) {
        fired = true;
        inFlight = old.isClosing && bridge.manager.sessionFor(go.pid) === old;
        direct = bridge.manager.subscribe({ pid: go.pid }, { intervalMs: 20, mode: 'live', onSample: () => directSamples++, onExit: () => directErrors.push('exit'), onError: (err) => directErrors.push(err) });
        direct.catch(() => undefined); // judged below
        again = `again${round}`;
        c.send({ type: 'subscribe', id: again, target: { pid: go.pid }, intervalMs: 20 });
      }
      return p;
    };
    await c.request({ type: 'unsubscribe', id: first }, 'unsubscribed', first);
    t.ok(await until(() => direct !== undefined, 5000), `round ${round}: the linger expired`);
    t.ok(inFlight, 'subscribed while the old session was closing and still registered');
    const sub = await direct!.catch((err: unknown) => err as Error);
    t.notOk(sub instanceof Error, `in-process subscribe during the detach: ${sub instanceof Error ? `${(sub as { code?: string }).code} ${sub.message}` : 'ok'}`);
    const r = await c.next('subscribed', (m) => m.id === again, 15_000).catch(() => c.received.find((m) => m.type === 'error' && m.id === again));
    t.equal(r?.type, 'subscribed', `over the wire: ${r?.type === 'error' ? `${r.code} ${r.message}` : r?.type}`);
    const from = c.received.length;
    await c.next('sample', (m) => m.subscription === again, 15_000, from);
    t.ok(await until(() => directSamples > 0, 5000), 'the in-process subscriber gets samples');
    t.same(directErrors, [], 'no error, no exit');
    const fresh = bridge.manager.sessionFor(go.pid);
    t.ok(fresh && fresh !== old && !fresh.isClosing, 'a fresh session');
    t.equal(readProcStatus(go.pid)?.tracerPid, fresh?.gdbPid, 'its gdb traces the target');
    if (!(sub instanceof Error)) sub.unsubscribe();
    await c.request({ type: 'unsubscribe', id: again }, 'unsubscribed', again);
    t.ok(await until(() => fullyDetached(go.pid), 5000), 'detached after the last unsubscribe');
  }
  t.same(await lingeringStops(go.pid), [], 'target running');
});

t.test('injection strings in every string field: coded errors or plain names, nothing executed, bridge healthy', async (t) => {
  const go = await startTarget(t);
  // Every frame is answered: no rate limits here (bridge-hostile.test.ts tests those).
  const bridge = await testBridge(t, { maxFramesPerSecond: 100_000, maxListsPerMinute: 100_000 });
  const c = await WsClient.connect(bridge, t);
  const dir = mkdtempSync(join(tmpdir(), 'mstat-inj-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'pwned');
  const INJ = [
    '"', "'", '\\', '\\"', '"\\', '""', '"; -gdb-exit', '\n-gdb-exit\n', '-gdb-exit', '-target-detach', '-exec-interrupt --all', 'kill',
    `shell touch ${marker}`, `\nshell touch ${marker}\n`, `";shell touch ${marker};"`, `"\n-interpreter-exec console "shell touch ${marker}"\n`,
    `$(touch ${marker})`, '`touch ' + marker + '`', `|touch ${marker}`, `; touch ${marker}`, `&& touch ${marker}`, `\`\$(touch${marker})\``,
    `-oProxyCommand=touch ${marker}`, `-oProxyCommand=touch${marker}`, `x -oProxyCommand=touch${marker}`, `-F${marker}`,
    '%s%s%n', '\u0000', '\r\n', '\u2028', '\u001b[2J', 'a'.repeat(300), '${HOME}', '../../../etc/passwd', '*', '{"type":"ping"}',
  ];
  const exe = fixture().path;
  /** A value as itself, and (for paths) as an absolute path so it passes the leading-slash rule. */
  const asPath = (v: string): string[] => [v, `/${v}`, `${dir}/${v}`];
  const fields: Array<{ name: string; values: (v: string) => string[]; frame: (v: string, id: string) => unknown; idField?: boolean }> = [
    { name: 'subscribe.id', values: (v) => [v], frame: (v) => ({ type: 'subscribe', id: v, target: { pid: go.pid }, intervalMs: 1000 }), idField: true },
    { name: 'unsubscribe.id', values: (v) => [v], frame: (v) => ({ type: 'unsubscribe', id: v }), idField: true },
    { name: 'list-targets.id', values: (v) => [v], frame: (v) => ({ type: 'list-targets', id: v }), idField: true },
    { name: 'ping.id', values: (v) => [v], frame: (v) => ({ type: 'ping', id: v }), idField: true },
    { name: 'list-targets.ssh', values: (v) => [v, `h${v}`, `u@${v}`], frame: (v, id) => ({ type: 'list-targets', id, ssh: v }) },
    { name: 'subscribe.target.ssh', values: (v) => [v, `h${v}`, `u@${v}`], frame: (v, id) => ({ type: 'subscribe', id, target: { ssh: v, pid: go.pid } }) },
    { name: 'subscribe.target.exe (remote)', values: asPath, frame: (v, id) => ({ type: 'subscribe', id, target: { ssh: '127.0.0.1:1', pid: go.pid, exe: v } }) },
    { name: 'subscribe.target.core', values: asPath, frame: (v, id) => ({ type: 'subscribe', id, target: { core: v, exe } }) },
    { name: 'subscribe.target.exe (core)', values: asPath, frame: (v, id) => ({ type: 'subscribe', id, target: { core: exe, exe: v } }) },
    { name: 'subscribe.target.pid', values: (v) => [v], frame: (v, id) => ({ type: 'subscribe', id, target: { pid: v } }) },
    { name: 'subscribe.mode', values: (v) => [v], frame: (v, id) => ({ type: 'subscribe', id, target: { pid: go.pid }, mode: v }) },
    { name: 'subscribe.intervalMs', values: (v) => [v], frame: (v, id) => ({ type: 'subscribe', id, target: { pid: go.pid }, intervalMs: v }) },
    { name: 'type', values: (v) => [v], frame: (v, id) => ({ type: v, id }) },
    { name: 'a field name', values: (v) => [v], frame: (v, id) => ({ type: 'ping', id, [v]: 1 }) },
    { name: 'target field name', values: (v) => [v], frame: (v, id) => ({ type: 'subscribe', id, target: { pid: go.pid, [v]: '/x' } }) },
  ];
  const REPLIES = new Set(['error', 'pong', 'targets', 'subscribed', 'unsubscribed']);
  const reply = async (frame: unknown): Promise<import('../../protocol/server-messages.ts').ServerMessage> => {
    const from = c.received.length;
    c.send(frame);
    const end = Date.now() + 30_000;
    for (;;) {
      const m = c.received.slice(from).find((x) => REPLIES.has(x.type));
      if (m) return m;
      if (Date.now() > end) throw new Error(`no reply to ${JSON.stringify(frame).slice(0, 200)}`);
      await sleep(2);
    }
  };
  const codes = new Map<string, number>();
  let n = 0;
  let accepted = 0;
  for (const f of fields) {
    for (const inj of INJ) {
      for (const v of f.values(inj)) {
        const id = `inj${n++}`;
        const m = await reply(f.frame(v, id));
        // ASCII only: a raw U+2028 in an assertion name would break the TAP stream itself.
        const what = `${f.name} = ${JSON.stringify(v).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 60)}`;
        if (m.type === 'error') {
          codes.set(m.code, (codes.get(m.code) ?? 0) + 1);
          // Failures only: ~900 frames would drown the output.
          if (m.code === 'INTERNAL') t.fail(`${what}: INTERNAL ${m.message}`);
          if (/[\x00-\x1f\u2028\u2029]/.test(m.message)) t.fail(`${what}: a message that is not one line`);
          continue;
        }
        // Only an id may be accepted: ids are opaque names that never reach gdb or a shell.
        accepted++;
        if (!f.idField) {
          t.fail(`${what}: accepted (${m.type})`);
          continue;
        }
        if ((m as { id?: string }).id !== v) t.fail(`${what}: accepted under another name (${m.type})`);
        if (m.type === 'subscribed' && (await reply({ type: 'unsubscribe', id: v })).type !== 'unsubscribed') t.fail(`${what}: not unsubscribed by the same name`);
      }
    }
  }
  t.pass(`${n} frames: ${accepted} accepted as plain ids; errors ${JSON.stringify(Object.fromEntries(codes))}`);
  t.notOk(existsSync(marker), 'no injected command ran');
  t.same(readdirSync(dir), [], 'nothing created');
  t.equal((await reply({ type: 'ping', id: 'alive' })).type, 'pong', 'connection still usable');
  const h = await healthz(bridge.address.port);
  t.equal(h.ok, true, 'bridge healthy');
  t.ok(await until(() => bridge.manager.targetCount === 0 && bridge.manager.subscriberCount === 0, 5000), 'no session left behind');
  t.equal(readProcStatus(go.pid)?.tracerPid, 0, 'target untraced');
  t.same(await lingeringStops(go.pid), [], 'target running');
  t.equal((await go.command('memstats')).event, 'memstats', 'target answers');
});

t.test('10,000 random frames (text, binary, invalid UTF-8): one reply each, counts unchanged, still answers ping', async (t) => {
  const go = await startTarget(t);
  // Every frame is answered: no rate limits here (bridge-hostile.test.ts tests those).
  const bridge = await testBridge(t, { maxFramesPerSecond: 100_000, maxListsPerMinute: 100_000 });
  const keep = await WsClient.connect(bridge, t);
  await keep.request({ type: 'subscribe', id: 'keep', target: { pid: go.pid }, intervalMs: 200 }, 'subscribed', 'keep');
  await keep.next('sample');
  const c = await WsClient.connect(bridge, t);
  const before = await healthz(bridge.address.port);
  t.match(before, { ok: true, targets: 1, subscribers: 1, connections: 2 });
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const expected = { error: 0, pong: 0, targets: 0 };
  const classify = (text: string): void => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      expected.error++;
      return;
    }
    const r = ClientMessageSchema.safeParse(json);
    if (!r.success) expected.error++;
    else if (r.data.type === 'ping') expected.pong++;
    else if (r.data.type === 'list-targets') expected.targets++;
    else expected.error++; // unsubscribe of an unknown id; a subscribe cannot pass without a target
  };
  const from = c.received.length;
  const N = 10_000;
  for (let i = 0; i < N; i++) {
    if (i % 10 === 0) {
      // Binary frames, often not UTF-8 at all: answered like any bad frame.
      const b = Buffer.alloc(3 + Math.floor(rnd() * 40));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rnd() * 256);
      if (i % 20 === 0) b.set([0xff, 0xfe, 0xc3], 0);
      c.ws.send(b, { binary: true });
      expected.error++;
      continue;
    }
    // Short ids half the time, so some frames are valid requests (pongs, listings) among the junk.
    const n = Math.floor(rnd() * (rnd() < 0.5 ? 6 : 60));
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(rnd() < 0.9 ? Math.floor(rnd() * 128) : Math.floor(rnd() * 0xffff));
    const text = i % 3 === 0 ? JSON.stringify({ type: ['subscribe', 'ping', 'unsubscribe', 'list-targets'][i % 4], id: s }) : s;
    c.send(text);
    // What the bridge sees: the frame's UTF-8 (lone surrogates become U+FFFD).
    classify(Buffer.from(text, 'utf8').toString('utf8'));
  }
  t.equal(expected.error + expected.pong + expected.targets, N);
  const got = (): number => c.received.length - from;
  t.ok(await until(() => got() >= N, 120_000, 50), `a reply to every frame (${got()} of ${N})`);
  await sleep(300); // nothing more may come
  const replies = c.received.slice(from);
  t.equal(replies.length, N, 'exactly one reply per frame');
  const count = (type: string): number => replies.filter((m) => m.type === type).length;
  t.same({ error: count('error'), pong: count('pong'), targets: count('targets') }, expected, `replies by type: ${JSON.stringify(expected)}`);
  t.equal(replies.filter((m) => m.type === 'error' && m.code !== 'BAD_REQUEST' && m.code !== 'UNKNOWN_SUBSCRIPTION').length, 0, 'only BAD_REQUEST and UNKNOWN_SUBSCRIPTION');
  t.equal((await c.request({ type: 'ping', id: 'alive' }, 'pong', 'alive')).type, 'pong', 'the connection still answers ping');
  t.same(await healthz(bridge.address.port), before, 'targets, subscribers and connections unchanged');
  const k = keep.received.length;
  await keep.next('sample', () => true, 5000, k);
  t.pass('the other subscription still gets samples');

  // A text frame that is not UTF-8 breaks the WebSocket protocol itself: ws closes with 1007.
  const bad = await WsClient.connect(bridge, t);
  bad.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
  t.equal((await bad.closed).code, 1007, 'invalid UTF-8 in a text frame → close 1007');
  t.equal((await c.request({ type: 'ping', id: 'p2' }, 'pong', 'p2')).type, 'pong', 'other connections unaffected');
  t.match(await healthz(bridge.address.port), { ok: true, targets: 1, subscribers: 1 });
});

t.test('token: required when configured; loopback is the default; --no-auth only on loopback', async (t) => {
  const bridge = await testBridge(t, { token: 'secret-token-123' });
  await t.rejects(WsClient.connect(bridge, t), /401/, 'no token: 401');
  await t.rejects(WsClient.connect(bridge, t, '?token=wrong-token-000'), /401/, 'wrong token: 401');
  const ok = await WsClient.connect(bridge, t, '', { headers: { authorization: 'Bearer secret-token-123' } });
  t.equal((await ok.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', 'bearer token accepted');
  const q = await WsClient.connect(bridge, t, '?token=secret-token-123');
  t.equal((await q.request({ type: 'ping', id: 'p' }, 'pong', 'p')).type, 'pong', '?token= accepted');
  const m = await fetch(`http://127.0.0.1:${bridge.address.port}/metrics`);
  t.equal(m.status, 401, '/metrics needs the token too');
  const m2 = await fetch(`http://127.0.0.1:${bridge.address.port}/metrics`, { headers: { authorization: 'Bearer secret-token-123' } });
  t.equal(m2.status, 200);
  await t.rejects(WsClient.connect(bridge, t, '?token=secret-token-123', { headers: { origin: 'http://evil.example' } }), /403/, 'foreign Origin refused');
  t.equal(configFromArgs([])?.host, '127.0.0.1', 'default bind is loopback');
  t.throws(() => configFromArgs(['--listen', '0.0.0.0:7070', '--no-auth']), /--no-auth is for a loopback address only/);
  t.equal(configFromArgs(['--listen', '0.0.0.0:7070', '--token', 'abcdefgh'])?.host, '0.0.0.0');
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`bridge process ${signal}: targets keep running, untraced`, async (t) => {
    const go = await startTarget(t);
    const { child, port } = await spawnBridgeProcess(t);
    const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws`);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    await c.request({ type: 'subscribe', id: 's', target: { pid: go.pid }, intervalMs: 50, mode: 'consistent' }, 'subscribed', 's');
    await c.next('sample');
    // The bridge's own processes: gdb (the target's tracer) under its supervisor shell.
    const own = descendants(child.pid!);
    const gdbs = own.filter((p) => p.comm === 'gdb').map((p) => p.pid);
    const shells = own.filter((p) => p.comm === 'sh').map((p) => p.pid);
    t.same(gdbs, [readProcStatus(go.pid)?.tracerPid], `one gdb, the target's tracer (bridge processes: ${JSON.stringify(own)})`);
    t.equal(shells.length, 1, 'one supervisor shell');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const code = await exited;
    if (signal === 'SIGTERM') {
      t.equal(code, 0, 'exit 0');
      t.equal((await c.closed).code, 1001, 'clients closed with 1001');
    }
    t.ok(await until(() => gdbs.every((p) => !isAlive(p)), 10_000), `gdb ${gdbs.join(',')} gone with the bridge`);
    t.ok(await until(() => shells.every((p) => !isAlive(p)), 10_000), `supervisor shell ${shells.join(',')} gone too`);
    await until(() => own.every((p) => !isAlive(p.pid)), 10_000);
    t.same(own.filter((p) => isAlive(p.pid)), [], 'nothing the bridge started is left');
    t.ok(await until(() => fullyDetached(go.pid), 5000), 'target untraced');
    t.same(await lingeringStops(go.pid), [], 'target not stopped');
    t.equal((await go.command('memstats')).event, 'memstats', 'target answers');
  });
}
