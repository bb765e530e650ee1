// What the benchmark scripts share: order statistics and the table cells they print (the clock
// and sleep: scripts/kit/time.ts).
// Benchmarks print tables; none of this is used by the product.

/** Nearest-rank quantile; NaN for no data. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
export const median = (xs: number[]): number => quantile(xs, 0.5);
export const p95 = (xs: number[]): number => quantile(xs, 0.95);
export const maxOf = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => (b > a ? b : a), -Infinity));
export const minOf = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => (b < a ? b : a), Infinity));
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Least-squares slope of ys over xs. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = sum(xs) / n;
  const my = sum(ys) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Nanoseconds as ms/s with about three significant digits. */
export function ms(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  const v = ns / 1e6;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** a ÷ b as "N×", with the reciprocal for small ratios. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  const r = a / b;
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 0.095) return `${r.toFixed(2)}×`;
  return `${r.toPrecision(2)}× (1/${Math.round(1 / r)})`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n.toFixed(0)} B`;
}

/** A Markdown table, first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const out = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

/** The report goes to stdout; progress notes to stderr. */
export function print(s = ''): void {
  process.stdout.write(s + '\n');
}
export function note(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}
