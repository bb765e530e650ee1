// Torn-snapshot detection (memstats-internals.md §6.3): quiescence of the writers, plus the
// runtime's own readmemstats invariants evaluated on our corrected values. Pure.
import { wrap } from './bytes.ts';
import type { DecoderLayout } from '../layout/decoder-layout.ts';
import type { Derived } from './fields.ts';
import type { FlushEffect } from './flush.ts';
import { heapGoalInputsConsistent } from './heap-goal.ts';
import type { Snapshot } from './snapshot.ts';

/** runtime.mutex "held": futex/sema locks (≤ 1.23) key ≠ 0; spin-bit (≥ 1.24) key & 1. */
export function mutexHeld(key: bigint, spinbit: boolean): boolean {
  return spinbit ? (key & 1n) === 1n : key !== 0n;
}

/** Reasons the snapshot is not a state ReadMemStats could observe; empty = consistent. */
export function tornReasons(snap: Snapshot, fx: FlushEffect, derived: Derived, L: DecoderLayout): string[] {
  const out: string[] = [];
  for (const p of snap.ps) if (p.statsSeq % 2 === 1) out.push(`P${p.index} is mid-update of the heap stats (odd statsSeq)`);
  if (mutexHeld(snap.noPLockKey, L.features.spinbitMutex)) out.push('heapStats.noPLock is held');
  if (mutexHeld(snap.mheap.lockKey, L.features.spinbitMutex)) out.push('mheap_.lock is held');
  // metricsSema is also taken by internal/godebug; it only matters where the concurrent reader is linked.
  if (L.features.concurrentStatsReader && snap.metricsSema === 0) out.push('a runtime/metrics reader may be merging shards (metricsSema held)');
  if (fx.staleSpans > 0 || fx.staleMcaches > 0) out.push(`mcaches not yet prepared for sweep (${fx.staleMcaches} mcaches, ${fx.staleSpans} stale spans)`);
  const d = fx.delta;
  const c = derived.check;
  if (c.heapInUse !== d.inHeap) out.push(`heapInUse ${c.heapInUse} ≠ consistent inHeap ${d.inHeap}`);
  if (c.heapReleased !== d.released) out.push(`heapReleased ${c.heapReleased} ≠ consistent released ${d.released}`);
  const retained = wrap(c.heapInUse + c.heapFree);
  const consRetained = wrap(d.committed - d.inStacks - d.inWorkBufs - d.inPtrScalarBits);
  if (retained !== consRetained) out.push(`retained heap ${retained} ≠ consistent ${consRetained}`);
  if (c.goalInputs.totalAlloc !== c.totalAlloc) out.push(`gcController.totalAlloc ${c.goalInputs.totalAlloc} ≠ consistent ${c.totalAlloc}`);
  if (c.goalInputs.totalFree !== c.totalFree) out.push(`gcController.totalFree ${c.goalInputs.totalFree} ≠ consistent ${c.totalFree}`);
  if (c.mappedReady !== wrap(c.totalMapped - d.released)) out.push(`mappedReady ${c.mappedReady} ≠ totalMapped − released ${wrap(c.totalMapped - d.released)}`);
  if (!heapGoalInputsConsistent(c.goalInputs)) out.push('heapFree + heapAlloc > mappedReady');
  return out;
}
