// When a subscriber's next sample is due (bridge/targets/cadence.ts).
import t from 'tap';
import { nextDue } from '../../bridge/targets/cadence.ts';

t.test('on a cadence: drift-free, missed slots skipped, never sooner than half an interval', async (t) => {
  t.equal(nextDue(1000, 1003, 100), 1100, 'a read 3 ms late keeps the slot grid');
  t.equal(nextDue(1000, 985, 100), 1100, 'a ride-along read 15 ms early too');
  t.equal(nextDue(1000, 1290, 100), 1340, 'a read 290 ms late: half an interval on, not a burst of catch-up reads');
});

t.test('a first sample joins the cadence of a subscriber at the same interval', async (t) => {
  t.equal(nextDue(0, 1000, 100, 1080), 1080, "the peer's next slot, 80 ms away");
  t.equal(nextDue(0, 1000, 100, 1030), 1130, 'a slot under half an interval away is skipped for the one after');
  t.equal(nextDue(0, 1000, 100, 1050), 1050, 'exactly half an interval away is taken');
  t.equal(nextDue(0, 1000, 100, 1480), 1080, "a slot several intervals on (the peer's grid) is brought back");
  t.equal(nextDue(0, 1000, 100, 620), 1120, 'and a slot in the past carried forward');
  t.equal(nextDue(0, 1000, 100), 1100, 'nobody to join: its own cadence from this read');
});
