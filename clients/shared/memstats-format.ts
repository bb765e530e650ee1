// Pure MemStats formatters: Go's json.Marshal output, a `Field = value` text dump and the
// `# runtime.MemStats` block of /debug/pprof/heap?debug=1. No Node APIs (browser-safe);
// uint64 fields are printed from bigint and never pass through a JS number.
import { BY_SIZE_ENTRIES, MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';

// ------------------------------------------------------------- float64 formatting

/** Shortest round-trip decimal digits of a finite, non-zero |x|: x = 0.d1d2…dn × 10^dp. */
function shortestDigits(x: number): { digits: string; dp: number } {
  // toExponential() without an argument yields as many digits as necessary to uniquely
  // identify the value (the shortest round-trip digits, closest to the exact value), like
  // Go's strconv with precision -1.
  const s = Math.abs(x).toExponential();
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`unexpected toExponential output ${s}`);
  const digits = (m[1]! + (m[2] ?? '')).replace(/0+$/, '') || '0';
  return { digits, dp: Number(m[3]) + 1 };
}

/** strconv 'f' with precision -1 (digits/dp from shortestDigits). */
function fmtF(digits: string, dp: number): string {
  const nd = digits.length;
  let out = dp > 0 ? digits.slice(0, Math.min(nd, dp)) + '0'.repeat(Math.max(0, dp - nd)) : '0';
  const prec = Math.max(nd - dp, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = dp + i - 1;
      out += j >= 0 && j < nd ? digits[j] : '0';
    }
  }
  return out;
}

/** strconv 'e' with precision -1: d.ddde±XX (exponent at least two digits). */
function fmtE(digits: string, dp: number): string {
  let out = digits[0]!;
  if (digits.length > 1) out += '.' + digits.slice(1);
  let exp = dp - 1;
  const sign = exp < 0 ? '-' : '+';
  if (exp < 0) exp = -exp;
  return `${out}e${sign}${exp < 10 ? '0' + exp : String(exp)}`;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/**
 * A float64 as Go's encoding/json writes it (floatEncoder): 'f' format, or 'e' when
 * |x| < 1e-6 or |x| >= 1e21 with `e-07` shortened to `e-7`. NaN and ±Inf throw, as
 * json.Marshal fails with UnsupportedValueError.
 */
export function formatGoJsonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`json: unsupported value: ${formatGoFloat(x)}`);
  const sign = isNegative(x) ? '-' : '';
  if (x === 0) return sign + '0';
  const abs = Math.abs(x);
  const { digits, dp } = shortestDigits(x);
  if (abs < 1e-6 || abs >= 1e21) {
    let s = fmtE(digits, dp);
    // clean up e-09 to e-9
    const n = s.length;
    if (n >= 4 && s[n - 4] === 'e' && s[n - 3] === '-' && s[n - 2] === '0') s = s.slice(0, n - 2) + s[n - 1]!;
    return sign + s;
  }
  return sign + fmtF(digits, dp);
}

/** A float64 as Go's fmt prints it with %v (strconv 'g', shortest; NaN, +Inf, -Inf). */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const sign = isNegative(x) ? '-' : '';
  if (x === 0) return sign + '0';
  const { digits, dp } = shortestDigits(x);
  const exp = dp - 1;
  // %e if the exponent is < -4 or >= the precision (6 for the shortest form).
  return sign + (exp < -4 || exp >= 6 ? fmtE(digits, dp) : fmtF(digits, dp));
}

// --------------------------------------------------------------------------- JSON

/** Byte-identical to Go's json.Marshal(runtime.MemStats): one line, no trailing newline. */
export function formatMemStatsJson(m: MemStats): string {
  const parts: string[] = [];
  for (const f of MEMSTATS_U64_FIELDS) parts.push(`"${f}":${m[f].toString()}`);
  parts.push(`"PauseNs":[${m.PauseNs.join(',')}]`);
  parts.push(`"PauseEnd":[${m.PauseEnd.join(',')}]`);
  parts.push(`"NumGC":${m.NumGC}`);
  parts.push(`"NumForcedGC":${m.NumForcedGC}`);
  parts.push(`"GCCPUFraction":${formatGoJsonFloat(m.GCCPUFraction)}`);
  parts.push(`"EnableGC":${m.EnableGC}`);
  parts.push(`"DebugGC":${m.DebugGC}`);
  const bySize = m.BySize.map((e) => `{"Size":${e.Size},"Mallocs":${e.Mallocs.toString()},"Frees":${e.Frees.toString()}}`);
  parts.push(`"BySize":[${bySize.join(',')}]`);
  return `{${parts.join(',')}}`;
}

// --------------------------------------------------------------------------- text

/** How many recent GC pauses the text format lists. */
export const TEXT_RECENT_PAUSES = 10;

/** The most recent entries of a PauseNs/PauseEnd ring, newest first (only the GCs that happened). */
export function recentPauses(ring: readonly bigint[], numGC: number): bigint[] {
  const n = Math.min(numGC, PAUSE_RING);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const v = ring[(((numGC - 1 - i) % PAUSE_RING) + PAUSE_RING) % PAUSE_RING];
    if (v !== undefined) out.push(v);
  }
  return out;
}

function pauseLine(name: string, ring: readonly bigint[], numGC: number): string {
  const recent = recentPauses(ring, numGC).filter((v) => v !== 0n);
  if (recent.length === 0) return `${name} = []`;
  const shown = recent.slice(0, TEXT_RECENT_PAUSES).join(' ');
  const more = recent.length > TEXT_RECENT_PAUSES ? ` … +${recent.length - TEXT_RECENT_PAUSES} more` : '';
  return `${name} = [recent first: ${shown}${more}]`;
}

/**
 * `Field = value` lines in Go's field order, in the style of the classic gdb `mstat`
 * command. PauseNs/PauseEnd show the most recent non-zero entries (newest first); BySize
 * lists only the size classes with allocations or frees. Ends with a newline.
 */
export function formatMemStatsText(m: MemStats): string {
  const lines: string[] = [];
  for (const f of MEMSTATS_U64_FIELDS) lines.push(`${f} = ${m[f].toString()}`);
  lines.push(pauseLine('PauseNs', m.PauseNs, m.NumGC));
  lines.push(pauseLine('PauseEnd', m.PauseEnd, m.NumGC));
  lines.push(`NumGC = ${m.NumGC}`);
  lines.push(`NumForcedGC = ${m.NumForcedGC}`);
  lines.push(`GCCPUFraction = ${formatGoFloat(m.GCCPUFraction)}`);
  lines.push(`EnableGC = ${m.EnableGC}`);
  lines.push(`DebugGC = ${m.DebugGC}`);
  for (let i = 0; i < Math.min(m.BySize.length, BY_SIZE_ENTRIES); i++) {
    const e = m.BySize[i]!;
    if (e.Mallocs === 0n && e.Frees === 0n) continue;
    lines.push(`BySize[${i}] = {Size: ${e.Size}, Mallocs: ${e.Mallocs.toString()}, Frees: ${e.Frees.toString()}}`);
  }
  return lines.join('\n') + '\n';
}

// -------------------------------------------------------------------------- pprof

/**
 * The `# runtime.MemStats` block of runtime/pprof's heap profile with debug=1
 * (writeHeapInternal; identical in Go 1.19 through 1.27), from `# runtime.MemStats` to
 * the last line, every line newline-terminated. Go precedes the block with an empty line,
 * which is not included. `# MaxRSS = N` (bytes; Go prints it on Linux from getrusage) is
 * included only when maxRss is given.
 */
export function formatMemStatsPprof(m: MemStats, maxRss?: bigint): string {
  const arr = (a: readonly bigint[]): string => `[${a.join(' ')}]`;
  const lines = [
    '# runtime.MemStats',
    `# Alloc = ${m.Alloc}`,
    `# TotalAlloc = ${m.TotalAlloc}`,
    `# Sys = ${m.Sys}`,
    `# Lookups = ${m.Lookups}`,
    `# Mallocs = ${m.Mallocs}`,
    `# Frees = ${m.Frees}`,
    `# HeapAlloc = ${m.HeapAlloc}`,
    `# HeapSys = ${m.HeapSys}`,
    `# HeapIdle = ${m.HeapIdle}`,
    `# HeapInuse = ${m.HeapInuse}`,
    `# HeapReleased = ${m.HeapReleased}`,
    `# HeapObjects = ${m.HeapObjects}`,
    `# Stack = ${m.StackInuse} / ${m.StackSys}`,
    `# MSpan = ${m.MSpanInuse} / ${m.MSpanSys}`,
    `# MCache = ${m.MCacheInuse} / ${m.MCacheSys}`,
    `# BuckHashSys = ${m.BuckHashSys}`,
    `# GCSys = ${m.GCSys}`,
    `# OtherSys = ${m.OtherSys}`,
    `# NextGC = ${m.NextGC}`,
    `# LastGC = ${m.LastGC}`,
    `# PauseNs = ${arr(m.PauseNs)}`,
    `# PauseEnd = ${arr(m.PauseEnd)}`,
    `# NumGC = ${m.NumGC}`,
    `# NumForcedGC = ${m.NumForcedGC}`,
    `# GCCPUFraction = ${formatGoFloat(m.GCCPUFraction)}`,
    `# DebugGC = ${m.DebugGC}`,
  ];
  if (maxRss !== undefined) lines.push(`# MaxRSS = ${maxRss}`);
  return lines.join('\n') + '\n';
}
