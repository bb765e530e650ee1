// bridge/go/vfork-gate.ts: a consistent stop waits for the vforks gdb reported to end, and
// never longer than its bound. (The gdb behaviour it works around is exercised for real by
// the harm matrix's os/exec children under consistent sampling.)
import t from 'tap';
import { VforkGate } from '../../bridge/go/vfork-gate.ts';

const NOTICE = '[Detaching after vfork from child process 4242]\n';

t.test('nothing reported: no wait', async (t) => {
  const gate = new VforkGate({ childExeced: () => false, stoppedThreads: () => [1] });
  gate.notice('[New LWP 12]\n');
  t.same(await gate.settle(), []);
});

t.test('waits until the child exec\'d and no thread is held any more', async (t) => {
  let execed = false;
  let held = [7];
  const gate = new VforkGate({ childExeced: (pid) => pid === 4242 && execed, stoppedThreads: () => held });
  gate.notice(NOTICE);
  setTimeout(() => (execed = true), 30);
  setTimeout(() => (held = []), 60);
  const t0 = Date.now();
  t.same(await gate.settle(), []);
  t.ok(Date.now() - t0 >= 55, `not before both (${Date.now() - t0} ms)`);
  t.same(await gate.settle(), [], 'and it is forgotten');
});

t.test('a child that never execs holds the stop back for 250 ms at most', async (t) => {
  const gate = new VforkGate({ childExeced: () => false, stoppedThreads: () => [] });
  gate.notice(NOTICE);
  const t0 = Date.now();
  t.same(await gate.settle(), [4242], 'named as still running');
  t.ok(Date.now() - t0 >= 245, `gave up after ${Date.now() - t0} ms`);
});

t.test('where children cannot be seen (remote), 100 ms after the notice', async (t) => {
  const gate = new VforkGate({});
  gate.notice(NOTICE);
  const t0 = Date.now();
  t.same(await gate.settle(), []);
  t.ok(Date.now() - t0 >= 95, `went ahead after ${Date.now() - t0} ms`);
});
