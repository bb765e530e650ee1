// bridge/mi/stop-guard.ts against MI records as gdb 13 sends them (recorded order: `^running`
// first, then one `*running` per thread). Which stops are ours (left for our resume) and which
// are faults (resumed at once, the signal passed on). The harm matrices prove the same with
// real signals; this pins the record-level rules, including the orderings that are rare there.
import { EventEmitter } from 'node:events';
import t from 'tap';
import { silentLogger } from '../../bridge/log.ts';
import type { MiClient } from '../../bridge/mi/client.ts';
import type { MiAsyncRecord } from '../../bridge/mi/records.ts';
import { StopGuard, type UnexpectedStop } from '../../bridge/mi/stop-guard.ts';

/** The part of MiClient the guard uses: async records in, commands out (recorded). */
class FakeGdb extends EventEmitter {
  readonly sent: string[] = [];
  isExited = false;
  send(name: string, args: readonly unknown[] = []): Promise<unknown> {
    this.sent.push([name, ...args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))].join(' '));
    return Promise.resolve({ record: { token: undefined, class: 'running', results: {} }, console: [], log: [] });
  }
  record(cls: 'stopped' | 'running', results: Record<string, string>): void {
    const r: MiAsyncRecord = { kind: 'exec', token: undefined, class: cls, results };
    this.emit('async', r);
  }
}

function setup(): { gdb: FakeGdb; guard: StopGuard; faults: UnexpectedStop[] } {
  const gdb = new FakeGdb();
  const faults: UnexpectedStop[] = [];
  const guard = new StopGuard(gdb as unknown as MiClient, silentLogger(), (s) => faults.push(s));
  return { gdb, guard, faults };
}

const settle = () => new Promise((r) => setImmediate(r));
const continued = (gdb: FakeGdb) => gdb.sent.filter((c) => c.startsWith('-exec-continue'));

t.test('outside our stop, a signal stop is resumed at once with its row put back to pass', async (t) => {
  const { gdb, faults } = setup();
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': 'SIGUSR1', 'thread-id': '3' });
  await settle();
  t.equal(faults.length, 1);
  t.same(faults[0], { threadId: '3', reason: 'signal-received', signal: 'SIGUSR1', outcome: 'resumed' });
  t.ok(gdb.sent.some((c) => c.includes('handle SIGUSR1 nostop noprint pass')), 'row put back');
  t.equal(continued(gdb).length, 1, 'that thread continued');
});

t.test('inside our stop, SIGSTOP stops and a signal that raced our SIGSTOP are ours: left for our resume', async (t) => {
  const { gdb, guard, faults } = setup();
  guard.beginOwnStop();
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '1' });
  gdb.record('stopped', { 'thread-id': '2' });
  // A SIGUSR1 that reached thread 3 while our SIGSTOP was in flight is reported in its place.
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': 'SIGUSR1', 'thread-id': '3' });
  await settle();
  t.equal(faults.length, 0, 'no fault');
  t.equal(continued(gdb).length, 0, 'nothing resumed by the guard (it would run through our read)');
  guard.endOwnStop();
});

t.test('a stop after our resume let that thread go is a fault, even before endOwnStop runs', async (t) => {
  const { gdb, guard, faults } = setup();
  guard.beginOwnStop();
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '1' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '2' });
  // our -exec-continue --all: ^running, then one *running per thread, then a late stop
  guard.ownResumeSent();
  gdb.record('running', { 'thread-id': '1' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '1' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': 'SIGPROF', 'thread-id': '1' });
  await settle();
  t.equal(faults.length, 1, 'thread 1 stopped again after our resume: resumed (once; the second record found it resuming)');
  t.equal(faults[0]?.threadId, '1');
  t.equal(continued(gdb).length, 1);
  // thread 2 has not been resumed yet: its late-arriving SIGSTOP-stop is still ours
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '2' });
  await settle();
  t.equal(faults.length, 1, 'thread 2 not yet resumed by us: still ours');
  guard.endOwnStop();
});

t.test('`*running` records of the previous resume that arrive after the next interrupt began are not this stop\'s resume', async (t) => {
  const { gdb, guard, faults } = setup();
  // A sample right after the last: gdb sends the last resume's *running records before it
  // answers the new -exec-interrupt --all (recorded order).
  guard.beginOwnStop();
  gdb.record('running', { 'thread-id': '2' });
  gdb.record('running', { 'thread-id': '3' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '2' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '3' });
  await settle();
  t.equal(faults.length, 0, 'the new stops are ours');
  t.equal(continued(gdb).length, 0);
  guard.endOwnStop();
});

t.test('`*running,thread-id="all"` lets every thread go', async (t) => {
  const { gdb, guard, faults } = setup();
  guard.beginOwnStop();
  guard.ownResumeSent();
  gdb.record('running', { 'thread-id': 'all' });
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '4' });
  await settle();
  t.equal(faults.length, 1);
  guard.endOwnStop();
  // a new own stop starts afresh
  guard.beginOwnStop();
  gdb.record('stopped', { reason: 'signal-received', 'signal-name': '0', 'thread-id': '4' });
  await settle();
  t.equal(faults.length, 1, 'ours again in the next own stop');
});

t.test('an exit is not a stop to resume', async (t) => {
  const { gdb, faults } = setup();
  gdb.record('stopped', { reason: 'exited-signalled', 'signal-name': 'SIGKILL' });
  await settle();
  t.equal(faults.length, 0);
  t.equal(gdb.sent.length, 0);
});
