// Time for tests and benches: the monotonic clock, a plain sleep, polling until something holds.

export const now = (): number => Number(process.hrtime.bigint()); // ns, CLOCK_MONOTONIC

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until it holds or `timeoutMs` passes; returns its last value. */
export async function until<T>(pred: () => T | Promise<T>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await pred();
  while (!v && Date.now() < end) {
    await sleep(everyMs);
    v = await pred();
  }
  return v;
}
