// The recorded quiet samples in test/fixtures/memstats/ (scripts/record-memstats-fixture.ts):
// raw target memory per toolchain, replayed into a Snapshot without a live process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AMD64 } from '../../bridge/go/decode/arch.ts';
import type { DecoderLayout } from '../../bridge/go/layout/decoder-layout.ts';
import type { HeadroomRule } from '../../bridge/go/decode/heap-goal.ts';
import { ReplayMemory } from '../../bridge/go/memory/memory.ts';
import { readSnapshot } from '../../bridge/go/memory/read.ts';
import type { Snapshot } from '../../bridge/go/decode/snapshot.ts';

export interface Recording {
  goVersion: string;
  arch: string;
  bias: string;
  rule: { percent?: string; min: string };
  layout: DecoderLayout;
  regions: Array<{ addr: string; hex: string }>;
  flush: { cachedSpans: number; tinyAllocs: string; spansFreed: number };
  expectedJson: string;
}

export const RECORDINGS_DIR = join(import.meta.dirname, '..', 'fixtures', 'memstats');

/** Every recording, in file-name order. */
export function recordings(): Recording[] {
  return readdirSync(RECORDINGS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(RECORDINGS_DIR, f), 'utf8')) as Recording);
}

/** A fresh Snapshot per call, so a test may edit it freely. */
export function replaySnapshot(rec: Recording): Promise<Snapshot> {
  return readSnapshot({ mem: new ReplayMemory(rec.regions), layout: rec.layout, bias: BigInt(rec.bias), arch: AMD64 });
}

export function headroomRule(rec: Recording): HeadroomRule {
  return { percent: rec.rule.percent === undefined ? undefined : BigInt(rec.rule.percent), min: BigInt(rec.rule.min) };
}
