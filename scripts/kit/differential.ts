// Differential helpers: our reading vs the target's own runtime.ReadMemStats.
import type { Sample, SampleMode } from '../../bridge/go/target.ts';
import type { LocalTarget } from '../../bridge/access/local-target.ts';
import { formatMemStatsJson, formatMemStatsPprof } from '../../clients/shared/memstats-format.ts';
import { MEMSTATS_FIELDS, type MemStats } from '../../protocol/memstats.ts';
import type { GoTarget } from './go-target.ts';

/**
 * The state the differential tests read: a GC history (NumGC, the PauseNs ring, forced
 * GCs), freed stacks in the per-P stack caches, every worker parked, nothing left for the
 * background scavenger, then a short burst so several Ps' mcaches hold partly used spans
 * and tiny blocks.
 */
export async function prepareQuietScenario(go: GoTarget): Promise<void> {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(300);
  await go.command('gc');
  await go.command('gc');
  await sleep(150);
  await go.command('stacks');
  await go.command('pause');
  await go.command('stacks');
  await go.command('freeos');
  await go.command('burst');
}

/**
 * A sample, taken again (up to `attempts` times) when a consistent one could not stop every
 * thread in time: on a loaded machine (the test suite's parallel files) a stop can outlast the
 * reader's 750 ms bound, and the reader then resumes the target and fails the sample with
 * READ_FAILED rather than hold it stopped. That is the product being careful, not a wrong
 * value, so a test that compares values asks again.
 */
export async function sampleRetryingStops(target: { sample(mode?: SampleMode): Promise<Sample> }, mode: SampleMode = 'consistent', attempts = 4): Promise<Sample> {
  for (let i = 1; ; i++) {
    try {
      return await target.sample(mode);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (i >= attempts || e.code !== 'GO_ERR_READ_FAILED' || !/could not stop all threads/.test(e.message ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The raw `{...}` text Go's json.Marshal produced for the memstats reply. */
export function rawMemStatsJson(e: { rawLine?: string }): string {
  const line = e.rawLine ?? '';
  const start = line.indexOf('"memstats":');
  if (start < 0 || !line.endsWith('}')) throw new Error(`not a memstats reply: ${line.slice(0, 200)}`);
  return line.slice(start + '"memstats":'.length, -1);
}

/** Splits Go's MemStats JSON into top-level fields (text), so mismatches can be named. */
export function jsonFields(json: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 1;
  while (i < json.length - 1) {
    const keyEnd = json.indexOf('":', i);
    const key = json.slice(i + 1, keyEnd);
    let j = keyEnd + 2;
    let depth = 0;
    for (; j < json.length - 1; j++) {
      const c = json[j];
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      else if (c === ',' && depth === 0) break;
    }
    out.set(key, json.slice(keyEnd + 2, j));
    i = j + 1;
  }
  return out;
}

export interface Comparison {
  exact: boolean;
  /** fields whose JSON text differs: name → ours vs theirs (abbreviated) */
  mismatches: Record<string, { ours: string; theirs: string }>;
  fieldsCompared: number;
}

/** Short values whole; a long one (BySize, PauseNs) from a little before the first difference. */
function excerptsWhereTheyDiffer(x: string, y: string): { ours: string; theirs: string } {
  if (x.length <= 120 && y.length <= 120) return { ours: x, theirs: y };
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const from = Math.max(0, i - 40);
  const cut = (v: string) => `${from > 0 ? '…' : ''}${v.slice(from, from + 120)}`;
  return { ours: cut(x), theirs: cut(y) };
}

export function compareJson(ours: MemStats, theirsJson: string): Comparison {
  const a = jsonFields(formatMemStatsJson(ours));
  const b = jsonFields(theirsJson);
  const mismatches: Comparison['mismatches'] = {};
  for (const f of MEMSTATS_FIELDS) {
    const x = a.get(f) ?? '';
    const y = b.get(f) ?? '';
    if (x !== y) mismatches[f] = excerptsWhereTheyDiffer(x, y);
  }
  return { exact: formatMemStatsJson(ours) === theirsJson, mismatches, fieldsCompared: MEMSTATS_FIELDS.length };
}

/**
 * Samples until `need` consecutive readings `gapMs` apart agree: the sweeper is done and the
 * background scavenger (which releases in paced steps with sleeps in between) has settled.
 */
export async function waitQuiet(target: LocalTarget, timeoutMs = 15_000, gapMs = 200, need = 3): Promise<{ quiet: boolean; samples: number }> {
  const end = Date.now() + timeoutMs;
  let prev = '';
  let same = 0;
  let samples = 0;
  while (Date.now() < end) {
    const s = await target.sample('live');
    samples++;
    const k = formatMemStatsJson(s.memstats);
    same = k === prev && s.meta.torn.length === 0 ? same + 1 : 1;
    if (same >= need) return { quiet: true, samples };
    prev = k;
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { quiet: false, samples };
}

export interface RoundResult {
  mode: SampleMode;
  sample: Sample;
  cmp: Comparison;
  /** rounds discarded because background work (scavenger, sweeper) changed the target meanwhile */
  disturbed: number;
}

/**
 * Reads with every mode, lets the target call ReadMemStats, and compares each. A last read
 * right before the command must equal the first: otherwise the runtime's background work (the
 * scavenger returning memory, a GC, a goroutine finishing its exit) changed the target during
 * the round, which then says nothing about the decoder; it is retried (bounded) before the
 * command, so the target's state (e.g. unflushed mcaches) is kept.
 */
export async function differentialRound(target: LocalTarget, go: GoTarget, modes: SampleMode[], maxRounds = 4): Promise<RoundResult[]> {
  let disturbed = 0;
  for (;;) {
    const samples: Array<[SampleMode, Sample]> = [];
    for (const m of modes) samples.push([m, await sampleRetryingStops(target, m)]);
    const before = await target.sample('live');
    if (formatMemStatsJson(before.memstats) !== formatMemStatsJson(samples[0]![1].memstats) && disturbed + 1 < maxRounds) {
      disturbed++;
      await waitQuiet(target);
      continue;
    }
    const theirs = rawMemStatsJson(await go.command('memstats'));
    return samples.map(([mode, sample]) => ({ mode, sample, cmp: compareJson(sample.memstats, theirs), disturbed }));
  }
}

/**
 * Lines the heap profile's own work (new(MemStats) and more, made just before its
 * ReadMemStats) can move: the allocation counters and what follows from them (a new span,
 * the memory-limit goal), and stacks (its call chain can grow the goroutine's stack).
 */
const PPROF_ALLOC_FIELDS = new Set(['Alloc', 'TotalAlloc', 'Sys', 'Mallocs', 'HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'HeapObjects', 'Stack', 'MSpan', 'GCSys', 'OtherSys', 'NextGC']);

/**
 * The `# runtime.MemStats` block of the target's heap profile vs ours: the same lines in the
 * same order and format; the allocation-driven values may run a few objects ahead; the
 * rest (stacks, GC history, pauses, CPU fraction, …) identical.
 */
export async function pprofRound(target: LocalTarget, go: GoTarget): Promise<{ ours: string; theirs: string; sameLines: boolean; allocDiffs: Record<string, bigint> }> {
  const s = await target.sample('live');
  const reply = await go.command('pprof');
  const text = String(reply.text);
  const start = text.indexOf('# runtime.MemStats');
  const theirs = text.slice(start).split('\n').filter((l) => l.startsWith('# ') && !l.startsWith('# MaxRSS')).join('\n') + '\n';
  const ours = formatMemStatsPprof(s.memstats);
  const a = ours.split('\n');
  const b = theirs.split('\n');
  let sameLines = a.length === b.length;
  const allocDiffs: Record<string, bigint> = {};
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const m = /^# (\w+) = (\d+)(?: \/ \d+)?$/.exec(a[i]!);
    const n = /^# (\w+) = (\d+)(?: \/ \d+)?$/.exec(b[i]!);
    if (m && n && m[1] === n[1] && PPROF_ALLOC_FIELDS.has(m[1]!)) allocDiffs[m[1]!] = BigInt(n[2]!) - BigInt(m[2]!);
    else sameLines = false;
  }
  return { ours, theirs, sameLines, allocDiffs };
}
