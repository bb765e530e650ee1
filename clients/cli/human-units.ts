// Numbers for people: bytes in IEC units, counts with k/M/G, nanoseconds as µs/ms/s, signed
// changes. Display only: this is the one place a uint64 may become a JS number (rounded to
// three significant digits anyway). Pure, browser-safe.

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;
const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'] as const;

/** Three significant digits: 1.23, 12.3, 123. */
function sig3(v: number): string {
  return v >= 99.95 ? v.toFixed(0) : v >= 9.995 ? v.toFixed(1) : v.toFixed(2);
}

function scaled(abs: number, base: number, units: readonly string[], sep: string): string {
  let i = 0;
  let v = abs;
  while (v >= base * 0.99995 && i < units.length - 1) {
    v /= base;
    i++;
  }
  return i === 0 ? `${Math.round(v)}${units[0] === '' ? '' : sep + units[0]}` : `${sig3(v)}${sep}${units[i]}`;
}

const num = (x: bigint | number): number => (typeof x === 'bigint' ? Number(x) : x);

/** 0 B, 512 B, 1.50 KiB, 12.3 MiB, 256 MiB, 1.00 GiB. `compact` drops the space. */
export function formatBytes(n: bigint | number, compact = false): string {
  const v = num(n);
  return (v < 0 ? '-' : '') + scaled(Math.abs(v), 1024, IEC, compact ? '' : ' ');
}

/** 999, 1.00k, 12.3k, 4.56M. */
export function formatCount(n: bigint | number): string {
  const v = num(n);
  return (v < 0 ? '-' : '') + scaled(Math.abs(v), 1000, SI, '');
}

/** A duration given in nanoseconds: 850 ns, 12.3 µs, 4.56 ms, 1.20 s. */
export function formatNs(ns: bigint | number, compact = false): string {
  const v = num(ns);
  const sep = compact ? '' : ' ';
  if (v < 1e3) return `${Math.round(v)}${sep}ns`;
  if (v < 999.95e3) return `${sig3(v / 1e3)}${sep}µs`;
  if (v < 999.95e6) return `${sig3(v / 1e6)}${sep}ms`;
  return `${sig3(v / 1e9)}${sep}s`;
}

/** A change: "+1.50 KiB", "-3 B", "±0". */
export function formatDeltaBytes(d: bigint, compact = false): string {
  if (d === 0n) return '±0';
  return (d > 0n ? '+' : '') + formatBytes(d, compact);
}

/** A change of a count: "+12", "-1.20k", "±0". */
export function formatDeltaCount(d: bigint | number): string {
  if (num(d) === 0) return '±0';
  return (num(d) > 0 ? '+' : '') + formatCount(d);
}

/** part / whole as a percentage ("63%", "4.5%"), "–" when whole is 0. */
export function formatPercent(part: bigint, whole: bigint): string {
  if (whole === 0n) return '–';
  const pct = Number((part * 10_000n) / whole) / 100; // divided in bigint: no float error at 2^63
  return pct >= 10 ? `${Math.round(pct)}%` : `${pct.toFixed(1)}%`;
}
