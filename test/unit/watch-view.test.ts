// clients/cli/watch-view.ts and its helpers (human-units.ts, duration.ts, reading.ts,
// target-table.ts): the live view of `mstat --watch` / the demo from two recorded readings,
// the in-place redraw's escape sequences, human units, durations, the --list table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../../clients/shared/duration.ts';
import { formatBytes, formatCount, formatDeltaBytes, formatDeltaCount, formatNs, formatPercent } from '../../clients/cli/human-units.ts';
import { readingFromMessage, type Reading } from '../../clients/shared/reading.ts';
import { formatTargetJsonLines, formatTargetTable } from '../../clients/cli/target-table.ts';
import { LiveFrame, SHOW_CURSOR, watchBlock, watchLine, watchRates } from '../../clients/cli/watch-view.ts';
import { MemStatsSchema, MEMSTATS_U64_FIELDS, type MemStats } from '../../protocol/memstats.ts';
import { SampleMessageSchema } from '../../protocol/server-messages.ts';

// ------------------------------------------------------------------ helpers

/** Go's json.Marshal(MemStats) text → MemStats, every number kept exact (quoted, then decoded). */
function parseGoJson(text: string): MemStats {
  const quoted = JSON.parse(text.replace(/(?<=[:[,])(-?[0-9][0-9.eE+-]*)(?=[,\]}])/g, '"$1"')) as Record<string, unknown>;
  const n = (v: unknown): number => Number(v);
  return z.decode(MemStatsSchema, {
    ...(quoted as z.input<typeof MemStatsSchema>),
    NumGC: n(quoted.NumGC),
    NumForcedGC: n(quoted.NumForcedGC),
    GCCPUFraction: n(quoted.GCCPUFraction),
    BySize: (quoted.BySize as Array<Record<string, unknown>>).map((e) => ({ Size: n(e.Size), Mallocs: String(e.Mallocs), Frees: String(e.Frees) })),
  });
}

const recording = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'memstats', 'go1.26.8.json'), 'utf8')) as { expectedJson: string };

function reading(m: MemStats, at: number, over: Partial<Reading['meta']> = {}, estimated: Reading['estimated'] = {}): Reading {
  return { time: new Date(at), memstats: m, estimated, meta: { mode: 'live', torn: [], attempts: 1, readNs: 1_234_000n, pauseNs: 0n, reads: 12, bytes: 4096, ...over } };
}

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0, 0);
const base = parseGoJson(recording.expectedJson);
/** One second later: 3 MiB more allocated, 1.5 MiB more in use, 2 GCs, 1000 more objects. */
function later(): MemStats {
  const m = structuredClone(base);
  m.TotalAlloc += 3n << 20n;
  m.Mallocs += 12_345n;
  m.Frees += 11_345n;
  m.HeapObjects += 1000n;
  m.HeapInuse += 3n << 19n;
  m.HeapIdle -= 3n << 19n;
  m.HeapAlloc += 1n << 20n;
  m.NumGC += 2;
  m.PauseNs[(m.NumGC - 2) % 256] = 120_000n;
  m.PauseNs[(m.NumGC - 1) % 256] = 98_500n;
  return m;
}

// ------------------------------------------------------------------ human units

t.test('human units', async (t) => {
  t.equal(formatBytes(0n), '0 B');
  t.equal(formatBytes(512n), '512 B');
  t.equal(formatBytes(1023n), '1023 B');
  t.equal(formatBytes(1024n), '1.00 KiB');
  t.equal(formatBytes(1536n), '1.50 KiB');
  t.equal(formatBytes(12_900_000n), '12.3 MiB');
  t.equal(formatBytes(256n << 20n), '256 MiB');
  t.equal(formatBytes(1023n << 20n), '1023 MiB');
  t.equal(formatBytes((1n << 63n) - 1n), '8.00 EiB', 'NextGC with GOGC=off');
  t.equal(formatBytes(1536n, true), '1.50KiB', 'compact');
  t.equal(formatDeltaBytes(0n), '±0');
  t.equal(formatDeltaBytes(1536n), '+1.50 KiB');
  t.equal(formatDeltaBytes(-(3n << 20n)), '-3.00 MiB');
  t.equal(formatCount(999n), '999');
  t.equal(formatCount(1000n), '1.00k');
  t.equal(formatCount(123_456n), '123k');
  t.equal(formatCount(12_345_678n), '12.3M');
  t.equal(formatDeltaCount(0), '±0');
  t.equal(formatDeltaCount(2), '+2');
  t.equal(formatDeltaCount(-1200n), '-1.20k');
  t.equal(formatNs(850n), '850 ns');
  t.equal(formatNs(98_500n), '98.5 µs');
  t.equal(formatNs(1_234_000n), '1.23 ms');
  t.equal(formatNs(2_500_000_000n), '2.50 s');
  t.equal(formatNs(120_000n, true), '120µs');
  t.equal(formatPercent(63n, 100n), '63%');
  t.equal(formatPercent(45n, 1000n), '4.5%');
  t.equal(formatPercent(1n, 0n), '–');
  t.equal(formatPercent(1n << 62n, (1n << 63n) - 1n), '50%', 'operands near 2^63');
});

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('1s'), 1000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('250'), 250, 'a plain number is milliseconds');
  for (const bad of ['', 's', '1d', '-1s', '1 s s', 'abc', '1e3']) t.equal(parseDuration(bad), undefined, `'${bad}' refused`);
  t.equal(formatDuration(500), '500ms');
  t.equal(formatDuration(1000), '1s');
  t.equal(formatDuration(1500), '1.5s');
  t.equal(formatDuration(120_000), '2m');
  t.equal(formatDuration(90_000), '90s');
});

// ------------------------------------------------------------------ the view

t.test('watchRates: per second between the readings, exact differences', async (t) => {
  const a = reading(base, T0);
  const b = reading(later(), T0 + 2000);
  t.equal(watchRates(a, undefined), undefined, 'no rates for the first reading');
  t.equal(watchRates(b, reading(later(), T0 + 2000)), undefined, 'no rates over a zero interval');
  t.same(watchRates(b, a), { allocBytesPerSec: (3 << 20) / 2, mallocsPerSec: 12_345 / 2, freesPerSec: 11_345 / 2 });
  // Counters beyond 2^53: the difference is taken in bigint, so it is not lost.
  const big = structuredClone(base);
  big.TotalAlloc = (1n << 60n) + 1n;
  const big2 = structuredClone(big);
  big2.TotalAlloc += 3n;
  t.equal(watchRates(reading(big2, T0 + 1000), reading(big, T0))?.allocBytesPerSec, 3, '3 B/s at 2^60');
});

t.test('watchBlock: the terminal view, with changes since the previous reading', async (t) => {
  const a = reading(base, T0);
  const b = reading(later(), T0 + 1000);
  const target = { pid: 4242, goVersion: 'go1.26.8', exe: '/opt/app/server' };
  const first = watchBlock(a, undefined, { target, intervalMs: 1000 });
  const text = first.join('\n');
  t.equal(first[0], 'pid 4242 · go1.26.8 · /opt/app/server', 'title names the target');
  t.equal(first[1], 'live, every 1s · 12:00:00.000 · read 1.23 ms (12 reads)', 'status line');
  t.match(text, /^ {2}heap in use +18\.3 MiB$/m, 'heap in use, no change column on the first reading');
  t.match(text, /^ {2}alloc rate +– +total /m, 'no rate yet');
  t.notMatch(text, /[+-]\d|±0/, 'no deltas on the first reading');

  const next = watchBlock(b, a, { target, intervalMs: 1000 }).join('\n');
  for (const [label, re] of [
    ['heap in use', /^ {2}heap in use +[\d.]+ MiB +\+1\.50 MiB$/m],
    ['heap idle', /^ {2}heap idle +[\d.]+ [KM]iB +-1\.50 MiB$/m],
    ['heap released', /^ {2}heap released +[\d.]+ [KM]?i?B +±0$/m],
    ['heap sys', /^ {2}heap sys +[\d.]+ MiB +±0$/m],
    ['HeapAlloc vs NextGC', /^ {2}HeapAlloc +[\d.]+ MiB +\+1\.00 MiB +\d+(\.\d)?% of NextGC [\d.]+ MiB$/m],
    ['objects', /^ {2}objects +[\d.]+k? +\+1\.00k$/m],
    ['stacks', /^ {2}stacks +1\.25 MiB +±0 +of StackSys [\d.]+ MiB$/m],
    ['sys', /^ {2}sys +[\d.]+ MiB +±0 +GCSys /m],
    ['alloc rate', /^ {2}alloc rate +3\.00 MiB\/s +total /m],
    ['mallocs/s', /^ {2}mallocs +12\.3k\/s +frees 11\.3k\/s$/m],
    ['GC', /^ {2}GC +3 +\+2 +last pauses 98\.5 µs, 120 µs, [\d.]+ µs; total [\d.]+ µs; CPU \d+\.\d\d%$/m],
  ] as const) t.match(next, re, label);
  const header = watchBlock(b, a, { header: ['demo program /x', 'pid 1'] });
  t.same(header.slice(0, 2), ['demo program /x', 'pid 1'], 'a caller\'s header replaces the title');
});

t.test('watchBlock / watchLine: estimated fields, torn snapshots, consistent pause, a notice', async (t) => {
  const est = { Sys: { bound: 262_144n, reason: 'r' }, GCSys: { bound: 262_144n, reason: 'r' } };
  const r = reading(base, T0, { mode: 'consistent', pauseNs: 2_500_000n, torn: ['statsSeq odd'], attempts: 5 }, est);
  const block = watchBlock(r, undefined, { notice: 'gdb restarted' }).join('\n');
  t.match(block, /paused 2\.50 ms/, 'consistent: the pause');
  t.match(block, /estimated: Sys ±256 KiB, GCSys ±256 KiB/);
  t.match(block, /TORN after 5 attempts \(statsSeq odd\)/);
  t.match(block, /^ {2}gdb restarted$/m);
  const line = watchLine(r, undefined);
  t.match(line, / estimated=Sys±256KiB,GCSys±256KiB torn=5$/);
});

t.test('watchLine: one line per reading, key=value, changes in parentheses', async (t) => {
  const a = reading(base, T0);
  const b = reading(later(), T0 + 1000);
  const first = watchLine(a, undefined);
  t.notMatch(first, /\n/, 'one line');
  t.match(first, /^2026-06-01T12:00:00\.000Z inuse=[\d.]+MiB idle=/, 'timestamp, then values without changes');
  t.notMatch(first, /\([+±-]/, 'no changes on the first line');
  t.match(first, / alloc=– mallocs=– /, 'no rates yet');
  const next = watchLine(b, a);
  t.match(next, / inuse=[\d.]+MiB\(\+1\.50MiB\) idle=[\d.]+[KM]iB\(-1\.50MiB\) released=[\d.]+\w*\(±0\) heapsys=[\d.]+MiB\(±0\) heapalloc=[\d.]+MiB\(\+1\.00MiB\) nextgc=[\d.]+MiB\(\d+(\.\d)?%\) /);
  t.match(next, / alloc=3\.00MiB\/s mallocs=12\.3k\/s gc=3\(\+2\) pauses=98\.5µs,120µs,[\d.]+µs objects=[\d.]+k?\(\+1\.00k\) stacks=1\.25MiB\(±0\) sys=[\d.]+MiB\(±0\)$/);
});

t.test('LiveFrame: redraws in place', async (t) => {
  const f = new LiveFrame();
  const one = f.frame(['a', 'b', 'c']);
  t.equal(one, '\x1b[?25la\x1b[K\nb\x1b[K\nc\x1b[K\n\x1b[J', 'first frame: cursor hidden, each line cleared to its end, the rest below cleared');
  const two = f.frame(['x', 'y']);
  t.equal(two, '\r\x1b[3Ax\x1b[K\ny\x1b[K\n\x1b[J', 'next frame: back up over the 3 lines drawn, redraw, clear what the shorter frame left');
  t.equal(f.frame(['z'], 1), '\r\x1b[2Az\x1b[K\n\x1b[J');
  t.equal(f.frame(['0123456789'], 5), '\r\x1b[1A0123…\x1b[K\n\x1b[J', 'cut to the terminal width (a wrapped line would shift the next frame)');
  t.equal(f.end(), SHOW_CURSOR);
});

// ------------------------------------------------------------------ reading.ts

t.test('readingFromMessage: a decoded sample frame as a Reading', async (t) => {
  const wire = {
    type: 'sample',
    subscription: 's1',
    seq: 1,
    time: '2026-06-01T12:00:00.123Z',
    target: { pid: 4242, goVersion: 'go1.26.8', exe: '/opt/app/server', buildId: 'x' },
    memstats: z.encode(MemStatsSchema, base),
    meta: {
      mode: 'live',
      exact: false,
      estimated: { Sys: { kind: 'estimated', bound: '262144', reason: 'r' }, Alloc: { kind: 'exact' } },
      torn: [],
      attempts: 1,
      readNs: '9007199254740993',
      pauseNs: '0',
      reads: 3,
      bytes: 100,
      dropped: 2,
    },
  };
  const r = readingFromMessage(z.decode(SampleMessageSchema, wire as z.input<typeof SampleMessageSchema>));
  t.equal(r.time.toISOString(), '2026-06-01T12:00:00.123Z');
  t.same(r.estimated, { Sys: { bound: 262_144n, reason: 'r' } }, 'only estimated fields');
  t.equal(r.meta.readNs, 9_007_199_254_740_993n, 'uint64 meta stays exact');
  t.equal(r.meta.dropped, 2);
  for (const f of MEMSTATS_U64_FIELDS) t.equal(r.memstats[f], base[f], `${f} round-trips`);
});

// ------------------------------------------------------------------ target-table.ts

t.test('the --list table and JSON lines', async (t) => {
  const list = [
    { pid: 7, exe: '/bin/a', goVersion: 'go1.26.8', attachable: true, attached: true },
    { pid: 12345, exe: '/usr/bin/old', goVersion: 'go1.18.8', attachable: false, reason: 'Go go1.18.8 unsupported (needs go1.19+)', attached: false },
  ];
  t.equal(
    formatTargetTable(list, { showAttached: true }),
    '  PID  GO        ATTACHABLE                                   EXE\n' +
      '    7  go1.26.8  yes (attached)                               /bin/a\n' +
      '12345  go1.18.8  no: Go go1.18.8 unsupported (needs go1.19+)  /usr/bin/old\n',
  );
  t.match(formatTargetTable(list), /^ {4}7 {2}go1\.26\.8 {2}yes {2}/m, 'a local scan says nothing about attached');
  t.equal(formatTargetTable([]), 'PID  GO  ATTACHABLE  EXE\n', 'empty: the header');
  t.equal(formatTargetJsonLines(list).split('\n').length, 3);
  t.same(JSON.parse(formatTargetJsonLines(list).split('\n')[1]!), list[1]);
});
