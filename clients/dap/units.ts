// Human hints shown beside exact values. The exact decimal always stays the value; a hint only
// helps reading it, so float approximations are fine here (and only here).

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Three significant digits at most, without trailing zeros: 11.8, 118, 1.5, 2. */
function short(x: number): string {
  const s = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** 12345678n → "11.8 MiB". */
export function bytesHint(v: bigint): string {
  let e = 0;
  while (e < IEC.length - 1 && v >= 1024n ** BigInt(e + 1)) e++;
  return e === 0 ? `${v} B` : `${short(Number(v) / 1024 ** e)} ${IEC[e]}`;
}

/** A count: "" below 10 000 (the digits say it), else "1.23 M". */
export function countHint(v: bigint): string {
  if (v < 10_000n) return '';
  const units: Array<[number, string]> = [[1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const x = Number(v);
  const [scale, unit] = units.find(([s]) => x >= s) ?? [1, ''];
  return `${short(x / scale)} ${unit}`;
}

/** A duration in ns: "850 ns", "12.3 µs", "1.2 ms", "2.5 s", "3.1 min", "4.2 h". */
export function durationHint(ns: bigint | number): string {
  const x = Number(ns);
  if (x < 1e3) return `${x} ns`;
  if (x < 1e6) return `${short(x / 1e3)} µs`;
  if (x < 1e9) return `${short(x / 1e6)} ms`;
  if (x < 60e9) return `${short(x / 1e9)} s`;
  if (x < 3600e9) return `${short(x / 60e9)} min`;
  return `${short(x / 3600e9)} h`;
}

/** A Unix time in ns (LastGC, PauseEnd): ISO time and how long before `ref` it was. */
export function timeHint(unixNs: bigint, ref: Date): string {
  if (unixNs === 0n) return 'never';
  const ms = Number(unixNs / 1_000_000n);
  const before = BigInt(ref.getTime()) * 1_000_000n - unixNs;
  const rel = before >= 0n ? `${durationHint(before)} before the sample` : `${durationHint(-before)} after the sample`;
  return `${new Date(ms).toISOString()}, ${rel}`;
}

/** A fraction as a percentage: 0.00123 → "0.123 %". */
export function percentHint(frac: number): string {
  return `${Number((frac * 100).toPrecision(3))} %`;
}

/** A rate per second: "1.2 MiB/s" for bytes, "3.4 k/s" for counts. */
export function rateHint(perSec: number, unit: 'bytes' | 'count'): string {
  if (!Number.isFinite(perSec)) return String(perSec);
  const v = BigInt(Math.max(0, Math.round(perSec)));
  if (unit === 'bytes') return `${bytesHint(v)}/s`;
  return `${countHint(v) || v.toString()}/s`;
}

/** "exact (hint)", or the exact value alone when there is no hint. */
export function withHint(exact: string, hint: string): string {
  return hint === '' ? exact : `${exact} (${hint})`;
}
