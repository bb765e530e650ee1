// gdb recycling (issue 16 item 2): a session replaces its gdb with a fresh one between two
// samples, and subscribers notice nothing but a longer interval: no error frame, no seq gap,
// still exact samples; the target is handed from one gdb to the next (TracerPid), never left
// stopped, and the old gdbs are gone. Real bridge, real gdb, real memhog.
import t from 'tap';
import { formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { testBridge } from '../support/bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { rawMemStatsJson } from '../../scripts/kit/differential.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { assertRunning } from '../support/go-targets.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive, lingeringStops } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

t.test('after every N samples a fresh gdb takes over: no error, no gap in seq, exact samples, the target untouched', async (t) => {
  const go = await GoTarget.start(fixture());
  t.teardown(() => go.stop());
  const bridge = await testBridge(t, { gdbRecycleSamples: 30 });
  const c = await WsClient.connect(bridge, t);
  await c.request({ type: 'subscribe', id: 'r', target: { pid: go.pid }, intervalMs: 10, mode: 'consistent' }, 'subscribed', 'r');
  await c.next('sample');
  const session = bridge.manager.sessionFor(go.pid)!;
  // Every gdb that traced the target, as seen between samples.
  const tracers = new Set<number>();
  const seen = setInterval(() => {
    const tr = readProcStatus(go.pid)?.tracerPid;
    if (tr) tracers.add(tr);
  }, 5);
  t.teardown(() => clearInterval(seen));
  t.ok(await until(() => session.recycled >= 3, 60_000), `gdb replaced ${session.recycled} times`);
  clearInterval(seen);

  // The connection holds this one subscription: anything but its samples is news.
  t.same(c.received.filter((m) => m.type !== 'sample' && m.type !== 'subscribed').map((m) => m.type), [], 'no error or other frame');
  const seqs = c.received.flatMap((m) => (m.type === 'sample' ? [m.seq] : []));
  t.ok(seqs.length >= 90, `${seqs.length} samples`);
  t.same(seqs, seqs.map((_, i) => seqs[0]! + i), 'seq without a gap');
  t.same(c.received.filter((m) => m.type === 'sample' && m.meta.mode !== 'consistent').length, 0, 'every sample consistent');

  const now = session.gdbPid!;
  t.ok(tracers.size >= 3, `${tracers.size} gdbs traced the target in turn`);
  t.equal(readProcStatus(go.pid)?.tracerPid, now, 'the current gdb traces it now');
  for (const g of tracers) if (g !== now) t.notOk(isAlive(g), `replaced gdb ${g} is gone`);
  await assertRunning(t, go, 'while recycled');

  // Right: the transport's samples after the swaps still equal the target's own ReadMemStats.
  await go.command('pause');
  let ours = '';
  let theirs = '';
  for (let round = 0; round < 3 && (ours === '' || ours !== theirs); round++) {
    const latest = await c.next('sample', () => true, 5000, c.received.length);
    ours = formatMemStatsJson(latest.memstats);
    theirs = rawMemStatsJson(await go.command('memstats'));
  }
  t.equal(ours, theirs, 'a sample after the swaps == json.Marshal(ReadMemStats)');

  await c.request({ type: 'unsubscribe', id: 'r' }, 'unsubscribed', 'r');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'detached after the unsubscribe');
  t.same(await lingeringStops(go.pid), [], 'no thread of the target left stopped');
});
