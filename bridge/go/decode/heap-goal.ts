// NextGC: gcControllerState.heapGoal() recomputed from (flush-corrected) raw values
// (memstats-internals.md §4, mgcpacer.go heapGoalInternal/memoryLimitHeapGoal). Pure, uint64.
import { wrap } from './bytes.ts';

const U64_MAX = (1n << 64n) - 1n;
const MIN_RUNWAY = 64n << 10n;

export interface HeapGoalInputs {
  gcPercentHeapGoal: bigint;
  sweepDistMinTrigger: bigint;
  triggered: bigint;
  heapMarked: bigint;
  /** int64; MaxInt64 = no limit */
  memoryLimit: bigint;
  heapFree: bigint;
  totalAlloc: bigint;
  totalFree: bigint;
  mappedReady: bigint;
}

/**
 * Memory-limit headroom, from the binary's DWARF constants: ≥ 1.21 max(⌊g/100⌋·percent, min)
 * (memoryLimitHeapGoalHeadroomPercent, memoryLimitMinHeapGoalHeadroom); 1.19 a fixed
 * memoryLimitHeapGoalHeadroom.
 */
export interface HeadroomRule {
  percent?: bigint | undefined;
  min: bigint;
}

export function memoryLimitHeapGoal(x: HeapGoalInputs, rule: HeadroomRule): bigint {
  const heapAlloc = wrap(x.totalAlloc - x.totalFree);
  const limit = wrap(x.memoryLimit);
  const nonHeap = wrap(x.mappedReady - x.heapFree - heapAlloc);
  const overage = x.mappedReady > limit ? x.mappedReady - limit : 0n;
  if (wrap(nonHeap + overage) >= limit) return x.heapMarked;
  let goal = limit - wrap(nonHeap + overage);
  let headroom = rule.min;
  if (rule.percent !== undefined) {
    headroom = (goal / 100n) * rule.percent; // divide first, as the runtime does
    if (headroom < rule.min) headroom = rule.min;
  }
  if (goal < headroom || goal - headroom < headroom) goal = headroom;
  else goal = goal - headroom;
  return goal < x.heapMarked ? x.heapMarked : goal;
}

export function heapGoal(x: HeapGoalInputs, rule: HeadroomRule): bigint {
  let goal = x.gcPercentHeapGoal;
  const ml = memoryLimitHeapGoal(x, rule);
  if (ml < goal) return ml;
  if (x.sweepDistMinTrigger > goal) goal = x.sweepDistMinTrigger;
  if (x.triggered !== U64_MAX && goal < x.triggered + MIN_RUNWAY) goal = x.triggered + MIN_RUNWAY;
  return goal;
}

/** The runtime's own retry condition: a snapshot violating it is torn. */
export function heapGoalInputsConsistent(x: HeapGoalInputs): boolean {
  return x.heapFree + wrap(x.totalAlloc - x.totalFree) <= x.mappedReady;
}
