// One sample as a tree of named, exactly valued nodes, grouped the way people read MemStats.
// Pure (no DAP): variables.ts turns it into scopes and variables, evaluate() looks nodes up.
import type { MemStatsU64Field } from '../../protocol/memstats.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { formatGoFloat, recentPauses } from '../shared/memstats-format.ts';
import { bytesHint, countHint, durationHint, percentHint, rateHint, timeHint, withHint } from './units.ts';

export interface TreeNode {
  name: string;
  /** the exact value, with a human hint after it */
  value: string;
  /** the exact value alone (for the clipboard) */
  exact: string;
  type: string;
  /** the expression evaluate() accepts for this node */
  evaluateName?: string;
  /** lazily built: a 256-entry ring is only built when expanded */
  children?: () => TreeNode[];
}

export interface TreeScope {
  name: string;
  /** the client fetches expensive scopes only when the user opens them */
  expensive: boolean;
  children: () => TreeNode[];
}

type Kind = 'bytes' | 'count' | 'ns' | 'time';

const KIND: Record<MemStatsU64Field, Kind> = {
  Alloc: 'bytes', TotalAlloc: 'bytes', Sys: 'bytes', Lookups: 'count', Mallocs: 'count', Frees: 'count',
  HeapAlloc: 'bytes', HeapSys: 'bytes', HeapIdle: 'bytes', HeapInuse: 'bytes', HeapReleased: 'bytes', HeapObjects: 'count',
  StackInuse: 'bytes', StackSys: 'bytes', MSpanInuse: 'bytes', MSpanSys: 'bytes', MCacheInuse: 'bytes', MCacheSys: 'bytes',
  BuckHashSys: 'bytes', GCSys: 'bytes', OtherSys: 'bytes', NextGC: 'bytes', LastGC: 'time', PauseTotalNs: 'ns',
};

/** The scalar groups; NextGC is both a heap and a GC number, so it is in both. */
const GROUPS: Array<[string, MemStatsU64Field[]]> = [
  ['General', ['Alloc', 'TotalAlloc', 'Sys', 'Lookups', 'Mallocs', 'Frees']],
  ['Heap', ['HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'HeapObjects', 'NextGC']],
  ['Stacks', ['StackInuse', 'StackSys']],
  ['Off-heap', ['MSpanInuse', 'MSpanSys', 'MCacheInuse', 'MCacheSys', 'BuckHashSys', 'GCSys', 'OtherSys']],
];

export const SCOPE_NAMES = ['General', 'Heap', 'Stacks', 'Off-heap', 'GC', 'BySize', 'Sample'] as const;

function hint(kind: Kind, v: bigint, time: Date): string {
  switch (kind) {
    case 'bytes':
      return bytesHint(v);
    case 'count':
      return countHint(v);
    case 'ns':
      return durationHint(v);
    case 'time':
      return timeHint(v, time);
  }
}

function leaf(name: string, exact: string, hintText: string, type: string, evaluateName?: string): TreeNode {
  return { name, value: withHint(exact, hintText), exact, type, ...(evaluateName === undefined ? {} : { evaluateName }) };
}

function u64(name: string, v: bigint, kind: Kind, time: Date, evaluateName = name): TreeNode {
  return leaf(name, v.toString(), hint(kind, v, time), 'uint64', evaluateName);
}

function group(name: string, summary: string, children: () => TreeNode[], evaluateName?: string): TreeNode {
  return { name, value: summary, exact: summary, type: '', children, ...(evaluateName === undefined ? {} : { evaluateName }) };
}

function ring(s: SampleMessage, field: 'PauseNs' | 'PauseEnd'): TreeNode {
  const time = new Date(s.time);
  const kind: Kind = field === 'PauseNs' ? 'ns' : 'time';
  const arr = s.memstats[field];
  return group(field, `[${arr.length}]uint64, ring indexed by (NumGC+255)%256`, () => arr.map((v, i) => u64(`[${i}]`, v, kind, time, `${field}[${i}]`)), field);
}

function gcNodes(s: SampleMessage): TreeNode[] {
  const m = s.memstats;
  const time = new Date(s.time);
  const recent = recentPauses(m.PauseNs, m.NumGC);
  const recentEnds = recentPauses(m.PauseEnd, m.NumGC);
  const ringIndex = (i: number): number => (((m.NumGC - 1 - i) % 256) + 256) % 256;
  const last = recent[0];
  return [
    u64('NextGC', m.NextGC, 'bytes', time),
    u64('LastGC', m.LastGC, 'time', time),
    u64('PauseTotalNs', m.PauseTotalNs, 'ns', time),
    leaf('NumGC', String(m.NumGC), '', 'uint32', 'NumGC'),
    leaf('NumForcedGC', String(m.NumForcedGC), '', 'uint32', 'NumForcedGC'),
    leaf('GCCPUFraction', formatGoFloat(m.GCCPUFraction), percentHint(m.GCCPUFraction), 'float64', 'GCCPUFraction'),
    leaf('EnableGC', String(m.EnableGC), '', 'bool', 'EnableGC'),
    leaf('DebugGC', String(m.DebugGC), '', 'bool', 'DebugGC'),
    group('recent pauses', recent.length === 0 ? 'none yet' : `${recent.length}, newest first; last ${durationHint(last ?? 0n)}`, () =>
      recent.map((v, i) => {
        const k = ringIndex(i);
        const end = recentEnds[i] ?? 0n;
        return leaf(`GC ${m.NumGC - i}: PauseNs[${k}]`, v.toString(), `${durationHint(v)}, ended ${timeHint(end, time)}`, 'uint64', `PauseNs[${k}]`);
      }),
    ),
    ring(s, 'PauseNs'),
    ring(s, 'PauseEnd'),
  ];
}

function bySizeNodes(s: SampleMessage): TreeNode[] {
  return s.memstats.BySize.map((e, i) => {
    const live = e.Mallocs - e.Frees;
    const base = `BySize[${i}]`;
    return group(`[${i}] ${e.Size} B`, `Size ${e.Size} · Mallocs ${e.Mallocs} · Frees ${e.Frees} · live ${live}`, () => [
      leaf('Size', String(e.Size), bytesHint(BigInt(e.Size)), 'uint32', `${base}.Size`),
      leaf('Mallocs', e.Mallocs.toString(), countHint(e.Mallocs), 'uint64', `${base}.Mallocs`),
      leaf('Frees', e.Frees.toString(), countHint(e.Frees), 'uint64', `${base}.Frees`),
      // Not a Go field: Mallocs − Frees, the objects of this class alive at the sample.
      leaf('Live', live.toString(), countHint(live < 0n ? 0n : live), 'int64', `${base}.Live`),
    ], base);
  });
}

function sampleNodes(s: SampleMessage): TreeNode[] {
  const meta = s.meta;
  const est = Object.entries(meta.estimated);
  const nodes: TreeNode[] = [
    leaf('seq', String(s.seq), '', 'int', 'meta.seq'),
    leaf('time', s.time, '', 'string', 'meta.time'),
    leaf('mode', meta.mode, '', 'string', 'meta.mode'),
    leaf('exact', String(meta.exact), meta.exact ? '' : 'some fields estimated or the snapshot torn', 'bool', 'meta.exact'),
    group('estimated', est.length === 0 ? 'none' : est.map(([f]) => f).join(', '), () =>
      est.map(([f, q]) => (q.kind === 'estimated' ? leaf(f, `±${q.bound}`, `${bytesHint(q.bound)}; ${q.reason}`, 'bound', `meta.estimated.${f}`) : leaf(f, 'exact', '', 'bound'))),
    ),
    group('torn', meta.torn.length === 0 ? 'no' : meta.torn.join('; '), () => meta.torn.map((r, i) => leaf(`[${i}]`, r, '', 'string'))),
    u64('readNs', meta.readNs, 'ns', new Date(0), 'meta.readNs'),
    u64('pauseNs', meta.pauseNs, 'ns', new Date(0), 'meta.pauseNs'),
    leaf('attempts', String(meta.attempts), '', 'int', 'meta.attempts'),
    leaf('reads', String(meta.reads), '', 'int', 'meta.reads'),
    leaf('bytes', String(meta.bytes), bytesHint(BigInt(meta.bytes)), 'int', 'meta.bytes'),
    leaf('dropped', String(meta.dropped), 'samples the bridge skipped for this subscriber', 'int', 'meta.dropped'),
    group('target', `pid ${s.target.pid}, ${s.target.goVersion}`, () => [
      leaf('pid', String(s.target.pid), '', 'int', 'target.pid'),
      leaf('goVersion', s.target.goVersion, '', 'string', 'target.goVersion'),
      leaf('exe', s.target.exe, '', 'string', 'target.exe'),
      leaf('buildId', s.target.buildId, '', 'string', 'target.buildId'),
    ]),
  ];
  const r = s.rates;
  if (r) {
    nodes.push(group('rates', `alloc ${rateHint(r.allocBytesPerSec, 'bytes')}, ${rateHint(r.mallocsPerSec, 'count')} mallocs`, () => [
      leaf('intervalMs', String(r.intervalMs), '', 'float64'),
      leaf('allocBytesPerSec', String(r.allocBytesPerSec), rateHint(r.allocBytesPerSec, 'bytes'), 'float64'),
      leaf('mallocsPerSec', String(r.mallocsPerSec), rateHint(r.mallocsPerSec, 'count'), 'float64'),
      leaf('freesPerSec', String(r.freesPerSec), rateHint(r.freesPerSec, 'count'), 'float64'),
      leaf('gcPerSec', String(r.gcPerSec), '', 'float64'),
      u64('lastPauseNs', r.lastPauseNs, 'ns', new Date(0), 'rates.lastPauseNs'),
    ]));
  }
  return nodes;
}

/** The scopes of one sample, in SCOPE_NAMES order. */
export function memStatsScopes(s: SampleMessage): TreeScope[] {
  const time = new Date(s.time);
  const scalar = GROUPS.map(([name, fields]): TreeScope => ({
    name,
    expensive: false,
    children: () => fields.map((f) => u64(f, s.memstats[f], KIND[f], time)),
  }));
  return [
    ...scalar,
    { name: 'GC', expensive: false, children: () => gcNodes(s) },
    { name: 'BySize', expensive: true, children: () => bySizeNodes(s) },
    { name: 'Sample', expensive: false, children: () => sampleNodes(s) },
  ];
}

/** Normalizes an expression: no blanks, an optional `MemStats.`/`m.` prefix dropped. */
export function normalizeExpression(expr: string): string {
  return expr.replace(/\s+/g, '').replace(/^(?:runtime\.)?(?:MemStats|memstats|m)\./, '');
}

/**
 * The node an expression names (`HeapAlloc`, `BySize[3].Mallocs`, `PauseNs[0]`, `meta.readNs`,
 * `target.goVersion`): found by walking the tree, so every shown value can be evaluated and
 * nothing else can. Throws a message that says what would work.
 */
export function evaluateExpression(s: SampleMessage, expr: string): TreeNode {
  const want = normalizeExpression(expr);
  const walk = (nodes: TreeNode[]): TreeNode | undefined => {
    for (const n of nodes) {
      if (n.evaluateName === want) return n;
      // Descend only where the wanted name can be (BySize[3].Size is below BySize[3]).
      if (n.children && (n.evaluateName === undefined || want.startsWith(n.evaluateName))) {
        const hit = walk(n.children());
        if (hit) return hit;
      }
    }
    return undefined;
  };
  for (const scope of memStatsScopes(s)) {
    const hit = walk(scope.children());
    if (hit) return hit;
  }
  throw new Error(`'${expr}' is not a MemStats field: try HeapAlloc, BySize[3].Mallocs, PauseNs[0], NumGC, meta.readNs or target.goVersion`);
}
