// bridge/server/token-bucket.ts with a hand-moved clock.
import t from 'tap';
import { TokenBucket } from '../../bridge/server/token-bucket.ts';

t.test('a burst, then the rate', async (t) => {
  let now = 0;
  const b = new TokenBucket(10, 3, () => now);
  t.same([b.take(), b.take(), b.take(), b.take()], [true, true, true, false], 'the burst, then empty');
  now += 100;
  t.same([b.take(), b.take()], [true, false], 'one token per 100 ms at 10/s');
  now += 10_000;
  t.same([b.take(), b.take(), b.take(), b.take()], [true, true, true, false], 'never more than the burst saved up');
});

t.test('fractional rates (per minute)', async (t) => {
  let now = 0;
  const b = new TokenBucket(6 / 60, 1, () => now);
  t.ok(b.take());
  now += 9_000;
  t.notOk(b.take(), '9 s: not yet');
  now += 1_000;
  t.ok(b.take(), '10 s: one');
});
