// Pure formatting for the dashboard: exact uint64 digits from bigint, and human-readable
// approximations (bytes, durations, rates). No DOM, no protocol: unit-testable anywhere.

/** Exact decimal digits with ',' every three, from a bigint (never through a JS number). */
export function groupDigits(v: bigint): string {
  const s = (v < 0n ? -v : v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return v < 0n ? `-${s}` : s;
}

/** v / unit with two decimals, computed in bigint so huge values stay right. */
function scaled(v: bigint, unit: bigint): string {
  const hundredths = (v * 100n + unit / 2n) / unit;
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, '0');
  return `${whole}.${frac}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** 1536n → "1.50 KiB"; bytes below 1 KiB are shown whole. */
export function humanBytes(v: bigint): string {
  if (v < 1024n) return `${v} B`;
  let k = 0;
  let unit = 1n;
  while (k < BYTE_UNITS.length - 1 && v >= unit * 1024n) {
    unit *= 1024n;
    k++;
  }
  return `${scaled(v, unit)} ${BYTE_UNITS[k]}`;
}

/** Nanoseconds → "812 ns", "12.30 µs", "4.56 ms", "1.23 s". */
export function humanNs(v: bigint): string {
  if (v < 1_000n) return `${v} ns`;
  if (v < 1_000_000n) return `${scaled(v, 1_000n)} µs`;
  if (v < 1_000_000_000n) return `${scaled(v, 1_000_000n)} ms`;
  return `${scaled(v, 1_000_000_000n)} s`;
}

/** Nanoseconds since the Unix epoch → ISO time (0 = never). */
export function epochNs(v: bigint): string {
  if (v === 0n) return 'never';
  return new Date(Number(v / 1_000_000n)).toISOString();
}

// ---- numbers: chart axes and rates only (points are numbers; see model.ts)

/** A number of bytes, compact: "1.5 MiB". */
export function bytesNum(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  let k = 0;
  let v = a;
  while (v >= 1024 && k < BYTE_UNITS.length - 1) {
    v /= 1024;
    k++;
  }
  const digits = k === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)} ${BYTE_UNITS[k]}`;
}

/** A count, compact: 1234 → "1.23k". */
export function countNum(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return Number.isInteger(n) ? String(n) : n.toFixed(a < 10 ? 2 : 1);
  const units = ['k', 'M', 'G', 'T'];
  let v = a;
  let k = -1;
  while (v >= 1000 && k < units.length - 1) {
    v /= 1000;
    k++;
  }
  return `${n < 0 ? '-' : ''}${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)}${units[k]}`;
}

/** Nanoseconds as a number → compact duration. */
export function nsNum(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '–';
  if (n < 1e3) return `${n.toFixed(0)} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)} µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} ms`;
  return `${(n / 1e9).toFixed(2)} s`;
}
