// clients/shared/memstats-format.ts: float formatting against known Go outputs, and the JSON,
// text and pprof formats on synthetic values. The same formats against real Go output of
// every toolchain: test/integration/memstats-format-go.test.ts.
import t from 'tap';
import {
  formatGoFloat,
  formatGoJsonFloat,
  formatMemStatsJson,
  formatMemStatsPprof,
  formatMemStatsText,
  recentPauses,
} from '../../clients/shared/memstats-format.ts';
import { BY_SIZE_ENTRIES, MEMSTATS_FIELDS, MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';
import { parseMemStatsJson } from '../support/memstats-text.ts';

/** A synthetic MemStats with every field set to something distinguishable. */
function synthetic(): MemStats {
  const m = {
    PauseNs: Array.from({ length: PAUSE_RING }, () => 0n),
    PauseEnd: Array.from({ length: PAUSE_RING }, () => 0n),
    NumGC: 0,
    NumForcedGC: 0,
    GCCPUFraction: 0,
    EnableGC: true,
    DebugGC: false,
    BySize: Array.from({ length: BY_SIZE_ENTRIES }, (_, i) => ({ Size: i * 16, Mallocs: 0n, Frees: 0n })),
  } as Partial<MemStats> as MemStats;
  MEMSTATS_U64_FIELDS.forEach((k, i) => (m[k] = BigInt(i + 1) * 1000n + 7n));
  return m;
}

// --------------------------------------------------------------- float cases

// [value, Go json.Marshal(float64) (undefined: UnsupportedValueError), Go fmt %v]
// Generated with go1.26 (and checked against 200k random float64s during development).
const FLOAT_CASES: Array<[number, string | undefined, string]> = [
  [0, '0', '0'],
  [-0, '-0', '-0'],
  [1.2345e-7, '1.2345e-7', '1.2345e-07'],
  [0.0001234, '0.0001234', '0.0001234'],
  [0.000001, '0.000001', '1e-06'],
  [9.99999e-7, '9.99999e-7', '9.99999e-07'],
  [1e-7, '1e-7', '1e-07'],
  [5e-324, '5e-324', '5e-324'],
  [1e21, '1e+21', '1e+21'],
  [1e20, '100000000000000000000', '1e+20'],
  [999999999999999900000, '999999999999999900000', '9.999999999999999e+20'],
  [123456789.125, '123456789.125', '1.23456789125e+08'],
  [0.1, '0.1', '0.1'],
  [0.30000000000000004, '0.30000000000000004', '0.30000000000000004'],
  [1 / 3, '0.3333333333333333', '0.3333333333333333'],
  [2 / 3, '0.6666666666666666', '0.6666666666666666'],
  [0.00001, '0.00001', '1e-05'],
  [0.000015, '0.000015', '1.5e-05'],
  [1000000, '1000000', '1e+06'],
  [999999, '999999', '999999'],
  [999999.9, '999999.9', '999999.9'],
  [1234567, '1234567', '1.234567e+06'],
  [1.7976931348623157e308, '1.7976931348623157e+308', '1.7976931348623157e+308'],
  [2.2250738585072014e-308, '2.2250738585072014e-308', '2.2250738585072014e-308'],
  [0.000123456789, '0.000123456789', '0.000123456789'],
  [0.0012345678901234567, '0.0012345678901234567', '0.0012345678901234567'],
  [1e-10, '1e-10', '1e-10'],
  [1e100, '1e+100', '1e+100'],
  [1.23e-100, '1.23e-100', '1.23e-100'],
  [-1.2345e-7, '-1.2345e-7', '-1.2345e-07'],
  [-0.5, '-0.5', '-0.5'],
  [0.0001, '0.0001', '0.0001'],
  [1, '1', '1'],
  [100, '100', '100'],
  [0.000099, '0.000099', '9.9e-05'],
  [NaN, undefined, 'NaN'],
  [Infinity, undefined, '+Inf'],
  [-Infinity, undefined, '-Inf'],
  [5e-7, '5e-7', '5e-07'],
  [2.5e-8, '2.5e-8', '2.5e-08'],
  [1e22, '1e+22', '1e+22'],
  [1.5e300, '1.5e+300', '1.5e+300'],
  [0.8597368371188381, '0.8597368371188381', '0.8597368371188381'],
  [0.060068428582729254, '0.060068428582729254', '0.060068428582729254'],
  [-1.3339652981404278e131, '-1.3339652981404278e+131', '-1.3339652981404278e+131'],
  [0.00043735400000000004, '0.00043735400000000004', '0.00043735400000000004'],
  [-9.701510445570944e-279, '-9.701510445570944e-279', '-9.701510445570944e-279'],
  [3.810220085677531e-8, '3.810220085677531e-8', '3.810220085677531e-08'],
  [6.703120039894012e-260, '6.703120039894012e-260', '6.703120039894012e-260'],
  [0.000915406, '0.000915406', '0.000915406'],
  [2.397329363451157e-7, '2.397329363451157e-7', '2.397329363451157e-07'],
];

t.test('float64 formatting matches Go (encoding/json and fmt %v)', async (t) => {
  for (const [x, json, v] of FLOAT_CASES) {
    if (json === undefined) t.throws(() => formatGoJsonFloat(x), `json ${x} is unsupported`);
    else t.equal(formatGoJsonFloat(x), json, `json ${x}`);
    t.equal(formatGoFloat(x), v, `%v ${x}`);
  }
});

// ------------------------------------------------------------ synthetic cases

t.test('JSON: uint64 beyond 2^53 exact, field order, BySize, bools', async (t) => {
  const m = synthetic();
  m.LastGC = 18446744073709551615n;
  m.PauseEnd[0] = 1795679037569041605n;
  m.PauseNs[0] = 9007199254740993n; // 2^53 + 1
  m.NumGC = 1;
  m.NumForcedGC = 4294967295;
  m.GCCPUFraction = 1.2345e-7;
  m.EnableGC = false;
  m.DebugGC = true;
  m.BySize[60] = { Size: 32768, Mallocs: 12345678901234567890n, Frees: 1n };
  const s = formatMemStatsJson(m);
  t.match(s, /^\{"Alloc":1007,"TotalAlloc":2007,/);
  t.ok(s.includes('"LastGC":18446744073709551615,'));
  t.ok(s.includes('"PauseNs":[9007199254740993,0,'));
  t.ok(s.includes('"PauseEnd":[1795679037569041605,0,'));
  t.ok(s.includes(',"NumGC":1,"NumForcedGC":4294967295,"GCCPUFraction":1.2345e-7,"EnableGC":false,"DebugGC":true,"BySize":[{"Size":0,"Mallocs":0,"Frees":0},'));
  t.ok(s.endsWith(',{"Size":32768,"Mallocs":12345678901234567890,"Frees":1}]}'));
  t.notOk(s.includes('\n'));
  // It is valid JSON whose keys are Go's, in Go's order, and it parses back exactly.
  t.same(Object.keys(JSON.parse(s) as object), [...MEMSTATS_FIELDS]);
  t.same(parseMemStatsJson(s), m);
});

t.test('text: Field = value lines, recent pauses first, non-empty size classes', async (t) => {
  const m = synthetic();
  m.NumGC = 300; // the ring has wrapped: the newest pause is at (300-1) % 256 = 43
  for (let i = 0; i < PAUSE_RING; i++) {
    m.PauseNs[i] = BigInt(1000 + i);
    m.PauseEnd[i] = 1700000000000000000n + BigInt(i);
  }
  m.NumForcedGC = 2;
  m.GCCPUFraction = 0.000012345;
  m.BySize[1] = { Size: 8, Mallocs: 10n, Frees: 3n };
  m.BySize[5] = { Size: 64, Mallocs: 0n, Frees: 1n };
  const lines = formatMemStatsText(m).split('\n');
  t.equal(lines.at(-1), '', 'ends with a newline');
  t.equal(lines[0], 'Alloc = 1007');
  t.equal(lines[23], 'PauseTotalNs = 24007');
  t.equal(lines[24], 'PauseNs = [recent first: 1043 1042 1041 1040 1039 1038 1037 1036 1035 1034 … +246 more]');
  t.equal(lines[25], 'PauseEnd = [recent first: 1700000000000000043 1700000000000000042 1700000000000000041 1700000000000000040 1700000000000000039 1700000000000000038 1700000000000000037 1700000000000000036 1700000000000000035 1700000000000000034 … +246 more]');
  t.same(lines.slice(26, 31), ['NumGC = 300', 'NumForcedGC = 2', 'GCCPUFraction = 1.2345e-05', 'EnableGC = true', 'DebugGC = false']);
  t.same(lines.slice(31, -1), ['BySize[1] = {Size: 8, Mallocs: 10, Frees: 3}', 'BySize[5] = {Size: 64, Mallocs: 0, Frees: 1}']);
  t.same(
    lines.slice(0, 24).map((l) => l.split(' = ')[0]),
    [...MEMSTATS_U64_FIELDS],
  );

  const fresh = synthetic();
  const fl = formatMemStatsText(fresh).split('\n');
  t.equal(fl[24], 'PauseNs = []', 'no GC yet');
  t.equal(fl[25], 'PauseEnd = []');
  t.equal(fl.length, 32, 'no BySize lines when nothing was allocated');

  fresh.NumGC = 3;
  fresh.PauseNs[0] = 5n;
  fresh.PauseNs[2] = 7n; // PauseNs[1] = 0: skipped
  t.same(recentPauses(fresh.PauseNs, fresh.NumGC), [7n, 0n, 5n]);
  t.equal(formatMemStatsText(fresh).split('\n')[24], 'PauseNs = [recent first: 7 5]');
});

t.test('pprof: Go %d arrays, %v float and bool, MaxRSS only when given', async (t) => {
  const m = synthetic();
  m.PauseNs[0] = 1n;
  m.PauseNs[1] = 2n;
  m.GCCPUFraction = 1.2345e-7;
  const block = formatMemStatsPprof(m);
  const lines = block.split('\n');
  t.equal(lines[0], '# runtime.MemStats');
  t.equal(lines[13], '# Stack = 13007 / 14007');
  t.equal(lines[21], `# PauseNs = [1 2${' 0'.repeat(254)}]`);
  t.equal(lines[25], '# GCCPUFraction = 1.2345e-07');
  t.equal(lines[26], '# DebugGC = false');
  t.equal(lines.length, 28);
  t.equal(lines[27], '');
  t.equal(formatMemStatsPprof(m, 123456789n), block + '# MaxRSS = 123456789\n');
});
