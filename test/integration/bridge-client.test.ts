// The TypeScript client library (clients/shared/bridge-client.ts) against a real bridge,
// real gdb and a real Go fixture: typed samples, refusals, list-targets, token, reconnect
// with resubscribe, and a clean close that lets the bridge detach.
import t from 'tap';
import WebSocket from 'ws';
import { BridgeClient, BridgeClientError, wsUrl, type WebSocketCtor } from '../../clients/shared/bridge-client.ts';
import { backoffDelay } from '../../clients/shared/backoff.ts';
import { testBridge } from '../support/bridge.ts';
import { deadPid } from '../support/cli.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

const WS = WebSocket as unknown as WebSocketCtor;

async function startTarget(t: { teardown(fn: () => unknown): void }): Promise<GoTarget> {
  const g = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => g.stop());
  return g;
}

t.test('backoff: grows by the factor, capped, with bounded jitter', async (t) => {
  t.equal(backoffDelay(0, { initialMs: 100, jitter: 0 }), 100);
  t.equal(backoffDelay(3, { initialMs: 100, jitter: 0 }), 800);
  t.equal(backoffDelay(30, { initialMs: 100, maxMs: 5000, jitter: 0 }), 5000);
  for (const r of [0, 0.5, 0.999]) {
    const d = backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => r);
    t.ok(d >= 200 && d <= 400, `jittered delay ${d} within [200, 400]`);
  }
});

t.test('wsUrl: default path, http → ws, token in the query', async (t) => {
  t.equal(wsUrl('ws://127.0.0.1:7070'), 'ws://127.0.0.1:7070/v1/ws');
  t.equal(wsUrl('http://h:1/', 'a b'), 'ws://h:1/v1/ws?token=a+b');
  t.equal(wsUrl('wss://h/custom/ws'), 'wss://h/custom/ws');
});

t.test('subscribe: an async iterator of decoded samples (bigint), then a clean close detaches', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const client = await BridgeClient.connect({ url: `ws://127.0.0.1:${bridge.address.port}`, WebSocket: WS });
  t.teardown(() => client.close());
  const sub = client.subscribe({ pid: go.pid }, { intervalMs: 50 });
  const info = await sub.subscribed;
  t.equal(info.pid, go.pid);
  t.match(info.goVersion, /^go1\./);
  const seqs: number[] = [];
  for await (const s of sub) {
    t.equal(typeof s.memstats.HeapAlloc, 'bigint', 'uint64 as bigint');
    t.equal(s.memstats.BySize.length, 61);
    seqs.push(s.seq);
    if (seqs.length === 3) break;
  }
  t.same(seqs, [1, 2, 3], 'samples in order');
  await client.close();
  t.equal(client.connectionState, 'closed');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'the bridge detached after the close');
  t.equal(readProcStatus(go.pid)?.state.startsWith('S') || readProcStatus(go.pid)?.state.startsWith('R'), true, 'target running');
});

t.test('a refused subscription: the iterator throws the wire code; listTargets and ping work', async (t) => {
  const bridge = await testBridge(t);
  const client = await BridgeClient.connect({ url: `ws://127.0.0.1:${bridge.address.port}`, WebSocket: WS });
  t.teardown(() => client.close());
  const sub = client.subscribe({ pid: await deadPid() });
  const err = await sub.next().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof BridgeClientError, 'a BridgeClientError');
  t.equal((err as BridgeClientError).code, 'NO_SUCH_PROCESS');
  await t.rejects(sub.subscribed, { code: 'NO_SUCH_PROCESS' });
  const go = await startTarget(t);
  const list = await client.listTargets();
  t.ok(list.some((x) => x.pid === go.pid && x.attachable), 'the fixture is listed as attachable');
  const rtt = await client.ping();
  t.ok(Number.isFinite(rtt) && rtt > 0, `ping answered (${rtt.toFixed(2)} ms)`);
  // ping waits for the bridge's pong: with the bridge gone it fails instead.
  await bridge.close();
  await t.rejects(client.ping(), 'no pong from a closed bridge');
});

t.test('token: wrong token → CONNECT_FAILED; right token → works', async (t) => {
  const bridge = await testBridge(t, { token: 's3cret-token' });
  const url = `ws://127.0.0.1:${bridge.address.port}`;
  await t.rejects(BridgeClient.connect({ url, WebSocket: WS, token: 'nope' }), { code: 'CONNECT_FAILED' });
  await t.rejects(BridgeClient.connect({ url, WebSocket: WS }), { code: 'CONNECT_FAILED' });
  const ok = await BridgeClient.connect({ url, WebSocket: WS, token: 's3cret-token' });
  t.ok((await ok.ping()) > 0, 'the right token gets answers');
  await ok.close();
});

t.test('no bridge at all: CONNECT_FAILED with a clear message', async (t) => {
  const err = await BridgeClient.connect({ url: 'ws://127.0.0.1:1', WebSocket: WS }).then(() => undefined, (e: unknown) => e);
  t.equal((err as BridgeClientError).code, 'CONNECT_FAILED');
  t.match((err as Error).message, /cannot connect to ws:\/\/127\.0\.0\.1:1.*bridge running/);
});

t.test('reconnect: the bridge goes away and comes back on the same port; the subscription resumes', async (t) => {
  const go = await startTarget(t);
  const first = await testBridge(t);
  const port = first.address.port;
  const states: string[] = [];
  const client = await BridgeClient.connect({
    url: `ws://127.0.0.1:${port}`, WebSocket: WS, backoff: { initialMs: 100, maxMs: 500 },
    onState: (s) => states.push(s),
  });
  t.teardown(() => client.close());
  const sub = client.subscribe({ pid: go.pid }, { intervalMs: 50 });
  const events: string[] = [];
  sub.on((e) => events.push(e.type));
  const s1 = await sub.next();
  t.ok(s1, 'a first sample');
  await first.close();
  t.ok(await until(() => client.connectionState === 'reconnecting', 5000), 'reconnecting');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'the closed bridge detached');
  await testBridge(t, { port });
  const after = await sub.next();
  t.ok(after, 'samples again after the reconnect');
  t.ok(events.includes('disconnected') && events.includes('resubscribed'), `events: ${events.join(',')}`);
  t.ok(states.includes('reconnecting') && states.at(-1) === 'open', `states: ${states.join(',')}`);
  t.equal(after?.seq, 1, 'a new bridge session starts at seq 1');
});

t.test('target exits: the iterator ends without an error and says so', async (t) => {
  const go = await startTarget(t);
  const bridge = await testBridge(t);
  const client = await BridgeClient.connect({ url: `ws://127.0.0.1:${bridge.address.port}`, WebSocket: WS });
  t.teardown(() => client.close());
  const sub = client.subscribe({ pid: go.pid }, { intervalMs: 50 });
  await sub.next();
  await go.command('exit');
  let n = 0;
  for await (const _ of sub) n++;
  t.ok(sub.exited, `ended with exited=true after ${n} more samples`);
});
