// clients/dap/variables.ts: which views' variable references still resolve after refreshes.
// A refresh per sample (refreshMs 0) pins a generation every interval; a slow client must still
// be able to read the view it asked for, and memory must stay bounded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { KEEP_MAX, KEEP_MIN, KEEP_MS, MemStatsVariables } from '../../clients/dap/variables.ts';
import { SampleMessageSchema, type SampleMessage } from '../../protocol/server-messages.ts';

const recording = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'memstats', 'go1.26.8.json'), 'utf8')) as { expectedJson: string };
// Go's json.Marshal(MemStats) with every number quoted, as the wire carries uint64s.
const quoted = JSON.parse(recording.expectedJson.replace(/(?<=[:[,])(-?[0-9][0-9.eE+-]*)(?=[,\]}])/g, '"$1"')) as Record<string, unknown>;
const wireMemstats = {
  ...quoted,
  NumGC: Number(quoted.NumGC),
  NumForcedGC: Number(quoted.NumForcedGC),
  GCCPUFraction: Number(quoted.GCCPUFraction),
  BySize: (quoted.BySize as Array<Record<string, unknown>>).map((e) => ({ Size: Number(e.Size), Mallocs: e.Mallocs, Frees: e.Frees })),
};

function sample(seq: number): SampleMessage {
  return z.decode(SampleMessageSchema, {
    type: 'sample',
    subscription: 's',
    seq,
    time: '2026-06-01T12:00:00.000Z',
    target: { pid: 4242, goVersion: 'go1.26.8', exe: '/opt/app/server', buildId: 'x' },
    memstats: wireMemstats,
    meta: { mode: 'live', exact: true, estimated: {}, torn: [], attempts: 1, readNs: '1', pauseNs: '0', reads: 3, bytes: 100, dropped: 0 },
  } as unknown as z.input<typeof SampleMessageSchema>);
}

/** The BySize scope's reference and one of its entries' (a node two levels down). */
function refsOf(v: MemStatsVariables): { scope: number; entry: number } {
  const scope = v.scopes().find((s) => s.name === 'BySize')!.variablesReference;
  const entry = v.variables(scope)[3]!.variablesReference;
  return { scope, entry };
}

t.test('a view stays readable for KEEP_MS while a new generation is pinned every 100 ms', async (t) => {
  let now = 1_000_000;
  const v = new MemStatsVariables(() => now);
  v.pin(sample(1));
  const first = refsOf(v);
  t.equal(v.variables(first.scope).length, 61, 'BySize: 61 entries');
  t.same(v.variables(first.entry).map((x) => x.name), ['Size', 'Mallocs', 'Frees', 'Live'], 'an entry has its four children');

  let seq = 2;
  for (; now - 1_000_000 < KEEP_MS; seq++) {
    now += 100;
    v.pin(sample(seq));
  }
  t.ok(seq - 1 > KEEP_MIN, `${seq - 1} generations pinned, more than KEEP_MIN`);
  t.equal(v.variables(first.entry).length, 4, `after ${KEEP_MS} ms of refreshes the first view's references still resolve`);
  const newest = refsOf(v);
  t.not(newest.scope, first.scope, 'each generation has references of its own');

  now += 200;
  v.pin(sample(seq++));
  t.same(v.variables(first.entry), [], 'older than KEEP_MS (and not among the last KEEP_MIN): evicted, no children');
  t.equal(v.variables(newest.entry).length, 4, 'a younger view still resolves');
});

t.test('the last KEEP_MIN generations stay however old; never more than KEEP_MAX', async (t) => {
  let now = 0;
  const v = new MemStatsVariables(() => now);
  const views: Array<{ scope: number; entry: number }> = [];
  for (let seq = 1; seq <= KEEP_MIN; seq++) {
    v.pin(sample(seq));
    views.push(refsOf(v));
    now += 60_000; // a minute between refreshes
  }
  t.ok(views.every((r) => v.variables(r.entry).length === 4), `${KEEP_MIN} generations a minute apart: all readable`);
  v.pin(sample(KEEP_MIN + 1));
  t.same(v.variables(views[0]!.entry), [], 'the oldest is evicted by the next pin');

  const w = new MemStatsVariables(() => 0);
  for (let seq = 1; seq <= KEEP_MAX * 3; seq++) w.pin(sample(seq));
  t.equal(w.kept, KEEP_MAX, `pins at one instant: capped at KEEP_MAX (${KEEP_MAX})`);
});

t.test('pinning the same sample again keeps the generation and its references', async (t) => {
  const v = new MemStatsVariables(() => 0);
  const s = sample(1);
  v.pin(s);
  const a = refsOf(v);
  v.pin(s);
  t.same(refsOf(v), a, 'same references');
  t.equal(v.kept, 1);
});
