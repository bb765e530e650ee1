// bridge/go/stop-monitor.ts: when a stop counts as lasting. Brief stops (a signal passing
// through gdb, a thread stopped at one look only) never do; a thread held across looks for a
// second does, and so does our own stop when it does not end.
import t from 'tap';
import { LastingStopDetector } from '../../bridge/go/stop-monitor.ts';

t.test('a thread seen stopped in every look for a second is a lasting stop', async (t) => {
  const d = new LastingStopDetector(1000);
  t.equal(d.observe({ at: 0, ownStopSince: undefined, stopped: [7] }), undefined);
  t.equal(d.observe({ at: 500, ownStopSince: undefined, stopped: [7, 8] }), undefined);
  t.same(d.observe({ at: 1000, ownStopSince: undefined, stopped: [7, 8] }), { cause: 'other', stoppedMs: 1000, threads: [7] });
  t.same(d.observe({ at: 1500, ownStopSince: undefined, stopped: [8, 7] }), { cause: 'other', stoppedMs: 1500, threads: [7, 8] });
  t.equal(d.observe({ at: 1750, ownStopSince: undefined, stopped: [] }), undefined, 'over when nothing is held');
});

t.test('a thread that ran between two looks starts again from zero', async (t) => {
  const d = new LastingStopDetector(1000);
  d.observe({ at: 0, ownStopSince: undefined, stopped: [7] });
  d.observe({ at: 400, ownStopSince: undefined, stopped: [] });
  t.equal(d.observe({ at: 800, ownStopSince: undefined, stopped: [7] }), undefined);
  t.equal(d.observe({ at: 1600, ownStopSince: undefined, stopped: [7] }), undefined, 'only 800 ms in a row');
  t.ok(d.observe({ at: 1800, ownStopSince: undefined, stopped: [7] }), 'a second in a row');
});

t.test('a look that says nothing (overlapping our own stop, or not observable) changes nothing', async (t) => {
  const d = new LastingStopDetector(1000);
  d.observe({ at: 0, ownStopSince: undefined, stopped: [7] });
  t.equal(d.observe({ at: 600, ownStopSince: undefined, stopped: undefined }), undefined);
  t.ok(d.observe({ at: 1100, ownStopSince: undefined, stopped: [7] }), 'the thread was never seen running');
});

t.test('our own stop lasts a second: lasting, whatever the looks say', async (t) => {
  const d = new LastingStopDetector(1000);
  t.equal(d.observe({ at: 900, ownStopSince: 0, stopped: undefined }), undefined);
  t.same(d.observe({ at: 1200, ownStopSince: 0, stopped: undefined }), { cause: 'ours', stoppedMs: 1200, threads: [] });
});
