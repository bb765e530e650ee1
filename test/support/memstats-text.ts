// Go's own MemStats text formats read back exactly (uint64s as bigint, never through a JS
// number): a memhog `memstats` reply (json.Marshal) and the `# runtime.MemStats` block of
// its heap profile. Used by the format tests, unit (synthetic) and integration (real Go).
import { BY_SIZE_ENTRIES, MEMSTATS_FIELDS, MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';


/** A JSON value with every number kept as its source text (uint64s exceed 2^53). */
type RawJson = { num: string } | string | boolean | null | RawJson[] | { obj: Array<[string, RawJson]> };

/** Minimal strict JSON parser that keeps numbers as source text and objects' key order. */
function parseRawJson(src: string): RawJson {
  let i = 0;
  const ws = (): void => {
    while (i < src.length && ' \t\n\r'.includes(src[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`JSON: ${what} at ${i}: ${src.slice(i, i + 30)}`);
  };
  const value = (): RawJson => {
    ws();
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: Array<[string, RawJson]> = [];
      ws();
      if (src[i] === '}') return i++, { obj };
      for (;;) {
        ws();
        const k = value();
        if (typeof k !== 'string') fail('object key');
        ws();
        if (src[i++] !== ':') fail('expected :');
        obj.push([k as string, value()]);
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === '}') return i++, { obj };
        else fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const arr: RawJson[] = [];
      ws();
      if (src[i] === ']') return i++, arr;
      for (;;) {
        arr.push(value());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === ']') return i++, arr;
        else fail('expected , or ]');
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(src.slice(i));
      if (!m) return fail('bad string');
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return { num: m[0] };
  };
  const v = value();
  ws();
  if (i !== src.length) fail('trailing text');
  return v;
}

function isObj(v: RawJson): v is { obj: Array<[string, RawJson]> } {
  return typeof v === 'object' && v !== null && 'obj' in v;
}
function isNum(v: RawJson | undefined): v is { num: string } {
  return typeof v === 'object' && v !== null && 'num' in v;
}
function u64(v: RawJson | undefined, what: string): bigint {
  if (!isNum(v) || !/^(0|[1-9]\d*)$/.test(v.num)) throw new Error(`${what}: not a uint64: ${JSON.stringify(v)}`);
  return BigInt(v.num);
}
function u32(v: RawJson | undefined, what: string): number {
  const b = u64(v, what);
  if (b > 0xffffffffn) throw new Error(`${what}: not a uint32`);
  return Number(b);
}
function bool(v: RawJson | undefined, what: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${what}: not a bool`);
  return v;
}
function fields(v: RawJson, what: string): Map<string, RawJson> {
  if (!isObj(v)) throw new Error(`${what}: not an object`);
  return new Map(v.obj);
}

/** Go's json.Marshal(runtime.MemStats) text → MemStats, bigint-exact, checking key order. */
export function parseMemStatsJson(text: string): MemStats {
  const raw = parseRawJson(text);
  if (!isObj(raw)) throw new Error('memstats: not an object');
  const keys = raw.obj.map(([k]) => k);
  if (keys.join(',') !== MEMSTATS_FIELDS.join(',')) throw new Error(`memstats: unexpected keys ${keys.join(',')}`);
  const f = new Map(raw.obj);
  const ring = (name: string): bigint[] => {
    const a = f.get(name);
    if (!Array.isArray(a) || a.length !== PAUSE_RING) throw new Error(`${name}: not a [${PAUSE_RING}]uint64`);
    return a.map((x, i) => u64(x, `${name}[${i}]`));
  };
  const bySize = f.get('BySize');
  if (!Array.isArray(bySize) || bySize.length !== BY_SIZE_ENTRIES) throw new Error('BySize: not 61 entries');
  const gccpu = f.get('GCCPUFraction');
  if (!isNum(gccpu)) throw new Error('GCCPUFraction: not a number');
  const m = {
    PauseNs: ring('PauseNs'),
    PauseEnd: ring('PauseEnd'),
    NumGC: u32(f.get('NumGC'), 'NumGC'),
    NumForcedGC: u32(f.get('NumForcedGC'), 'NumForcedGC'),
    // Go writes the shortest digits that round-trip, so Number() recovers the exact float64.
    GCCPUFraction: Number(gccpu.num),
    EnableGC: bool(f.get('EnableGC'), 'EnableGC'),
    DebugGC: bool(f.get('DebugGC'), 'DebugGC'),
    BySize: bySize.map((e, i) => {
      const ef = fields(e, `BySize[${i}]`);
      if ([...ef.keys()].join(',') !== 'Size,Mallocs,Frees') throw new Error(`BySize[${i}]: unexpected keys`);
      return { Size: u32(ef.get('Size'), 'Size'), Mallocs: u64(ef.get('Mallocs'), 'Mallocs'), Frees: u64(ef.get('Frees'), 'Frees') };
    }),
  } as Partial<MemStats> as MemStats;
  for (const k of MEMSTATS_U64_FIELDS) m[k] = u64(f.get(k), k);
  return m;
}

/** The pprof `# runtime.MemStats` block → the values it shows (over `base` for the rest) and MaxRSS. */
export function parsePprofBlock(block: string, base: MemStats): { m: MemStats; maxRss: bigint | undefined } {
  const m: MemStats = { ...base, PauseNs: [...base.PauseNs], PauseEnd: [...base.PauseEnd] };
  let maxRss: bigint | undefined;
  const lines = block.split('\n');
  if (lines.shift() !== '# runtime.MemStats') throw new Error('block: bad first line');
  if (lines.pop() !== '') throw new Error('block: no final newline');
  const uint = (s: string): bigint => {
    if (!/^(0|[1-9]\d*)$/.test(s)) throw new Error(`block: not a uint: ${s}`);
    return BigInt(s);
  };
  const arr = (s: string): bigint[] => {
    const mm = /^\[(.*)\]$/.exec(s);
    if (!mm) throw new Error(`block: not an array: ${s}`);
    return mm[1]!.split(' ').map(uint);
  };
  for (const line of lines) {
    const mm = /^# (\w+) = (.*)$/.exec(line);
    if (!mm) throw new Error(`block: bad line ${line}`);
    const [, name, v] = mm as unknown as [string, string, string];
    const pair = (): [bigint, bigint] => {
      const p = /^(\d+) \/ (\d+)$/.exec(v);
      if (!p) throw new Error(`block: bad pair ${line}`);
      return [uint(p[1]!), uint(p[2]!)];
    };
    switch (name) {
      case 'Stack':
        [m.StackInuse, m.StackSys] = pair();
        break;
      case 'MSpan':
        [m.MSpanInuse, m.MSpanSys] = pair();
        break;
      case 'MCache':
        [m.MCacheInuse, m.MCacheSys] = pair();
        break;
      case 'PauseNs':
      case 'PauseEnd':
        m[name] = arr(v);
        break;
      case 'NumGC':
      case 'NumForcedGC':
        m[name] = Number(uint(v));
        break;
      case 'GCCPUFraction':
        m.GCCPUFraction = Number(v);
        if (Number.isNaN(m.GCCPUFraction)) throw new Error(`block: bad float ${line}`);
        break;
      case 'DebugGC':
        if (v !== 'true' && v !== 'false') throw new Error(`block: bad bool ${line}`);
        m.DebugGC = v === 'true';
        break;
      case 'MaxRSS':
        maxRss = uint(v);
        break;
      default:
        if (!(MEMSTATS_U64_FIELDS as readonly string[]).includes(name)) throw new Error(`block: unknown field ${line}`);
        m[name as (typeof MEMSTATS_U64_FIELDS)[number]] = uint(v);
    }
  }
  return { m, maxRss };
}
