// bridge/targets/recycle.ts: when a gdb is due for replacement, by samples or by RSS growth
// over its own RSS after the first sample (read at most once a second).
import t from 'tap';
import { RecycleClock } from '../../bridge/targets/recycle.ts';

t.test('by samples: due at the Nth sample of each gdb', async (t) => {
  const c = new RecycleClock({ samples: 3, growthMiB: 0 }, () => 1);
  c.attached(1);
  t.equal(c.sampled(), undefined);
  t.equal(c.sampled(), undefined);
  t.match(c.sampled(), /3 samples/);
  c.attached(2);
  t.equal(c.sampled(), undefined, 'a new gdb counts from zero');
});

t.test('by RSS growth: over the first sample\'s RSS, looked at once a second', async (t) => {
  let rss = 50_000;
  const c = new RecycleClock({ samples: 0, growthMiB: 10 }, () => rss);
  c.attached(7);
  t.equal(c.sampled(0), undefined, 'first sample: the base');
  rss += 10 * 1024 + 1;
  t.equal(c.sampled(500), undefined, 'not looked at within a second');
  t.match(c.sampled(1000), /grew by 10 MiB/);
  c.attached(8);
  t.equal(c.sampled(2000), undefined, 'a new gdb takes its own base');
  t.equal(c.sampled(3000), undefined);
});

t.test('off: never due; unreadable RSS: never due', async (t) => {
  const off = new RecycleClock({ samples: 0, growthMiB: 0 }, () => 1e9);
  off.attached(1);
  for (let i = 0; i < 5; i++) t.equal(off.sampled(i * 2000), undefined);
  const blind = new RecycleClock({ samples: 0, growthMiB: 1 }, () => undefined);
  blind.attached(1);
  for (let i = 0; i < 5; i++) t.equal(blind.sampled(i * 2000), undefined);
});
