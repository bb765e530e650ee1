// Subscribers that arrive together while a target is being attached share one attach, and the
// session watches its reader once: each later event about the target (here a lasting stop) is
// counted once and reaches each subscriber once. Seen before: with 100 subscribers at once the
// reader had 11 listeners for each event (Node's MaxListenersExceededWarning in bench-bridge).
import t from 'tap';
import { testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { startHarmTarget } from '../support/harm.ts';
import { isAlive } from '../../scripts/kit/proc.ts';
import { sleep } from '../../scripts/kit/time.ts';

const CLIENTS = 12;

t.test(`${CLIENTS} subscribers at once: one attach, and a lasting stop reported once to each`, async (t) => {
  const go = await startHarmTarget(t);
  const bridge = await testBridge(t, { lingerMs: 0 });
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => WsClient.connect(bridge, t)));
  // Every subscribe is sent before the first attach can finish.
  for (const [i, c] of clients.entries()) c.send({ type: 'subscribe', id: `s${i}`, target: { pid: go.pid }, intervalMs: 100 });
  await Promise.all(clients.map((c, i) => c.next('subscribed', (m) => m.id === `s${i}`, 30_000)));
  await Promise.all(clients.map((c) => c.next('sample', () => true, 30_000)));
  t.equal(bridge.manager.sessionFor(go.pid)?.subscriberCount, CLIENTS, `one session holds all ${CLIENTS}`);

  // A lasting stop, as harm-guard makes one: gdb stops answering, and the next signal holds a
  // thread in tracing stop until gdb handles it.
  const gdbPid = bridge.manager.sessionFor(go.pid)!.gdbPid!;
  t.teardown(() => {
    if (isAlive(gdbPid)) process.kill(gdbPid, 'SIGCONT');
  });
  process.kill(gdbPid, 'SIGSTOP');
  process.kill(go.pid, 'SIGUSR1');
  await Promise.all(clients.map((c) => c.next('error', (m) => m.code === 'TARGET_STOPPED', 20_000)));
  process.kill(gdbPid, 'SIGCONT');
  await sleep(1500);
  const counts = clients.map((c) => c.received.filter((m) => m.type === 'error' && m.code === 'TARGET_STOPPED').length);
  t.same(counts, Array(CLIENTS).fill(1), 'TARGET_STOPPED reached each subscriber once');
});

t.test('subscribers joining at different moments share one read per interval', async (t) => {
  const go = await startHarmTarget(t);
  const bridge = await testBridge(t, { lingerMs: 0 });
  const clients: WsClient[] = [];
  // Six subscribers at 100 ms, each joining 17 ms after the one before: six phases, spread over
  // more than the 25 ms a read may serve a subscriber early.
  for (let i = 0; i < 6; i++) {
    const c = await WsClient.connect(bridge, t);
    c.send({ type: 'subscribe', id: `s${i}`, target: { pid: go.pid }, intervalMs: 100 });
    await c.next('sample', () => true, 30_000);
    clients.push(c);
    await sleep(17);
  }
  const from = clients.map((c) => c.received.length);
  await sleep(2000);
  const reads = new Set<string>();
  const perClient = clients.map((c, i) => {
    const samples = c.received.slice(from[i]).filter((m) => m.type === 'sample');
    for (const m of samples) if (m.type === 'sample') reads.add(m.time);
    return samples.length;
  });
  t.ok(perClient.every((n) => n >= 12), `each subscriber still gets its 10 Hz (${perClient.join(', ')} samples in 2 s)`);
  t.ok(reads.size <= 24, `${reads.size} reads of the target served them all in 2 s (one read per 100 ms is 20)`);
});
