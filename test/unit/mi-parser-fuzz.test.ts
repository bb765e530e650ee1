// Randomized: random bytes and random mutations of real lines must never throw or hang.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseLine } from '../../bridge/mi/parser.ts';

// Deterministic PRNG so a failure is reproducible; the seed is printed.
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
const rnd = mulberry32(seed);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;

const dir = join(import.meta.dirname, '..', 'fixtures', 'mi');
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.mi'))
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('-> '))
  .map((l) => (l.length > 4000 ? l.slice(0, 4000) : l));
const alphabet = ['"', '\\', '{', '}', '[', ']', ',', '=', '^', '*', '~', '&', '@', '+', '\r', '\0', '7', 'x', ' ', 'é', '\\377', '\\n'];

function mutate(line: string): string {
  let s = line;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 4)) {
      case 0: s = s.slice(0, at) + pick(alphabet) + s.slice(at); break;
      case 1: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 5)); break;
      case 2: s = s.slice(0, at); break;
      default: s = s.slice(0, at) + s.slice(Math.floor(rnd() * s.length)); break;
    }
  }
  return s;
}

function randomBytes(): string {
  const n = Math.floor(rnd() * 200);
  let s = '';
  for (let i = 0; i < n; i++) s += rnd() < 0.5 ? pick(alphabet) : String.fromCharCode(Math.floor(rnd() * 256));
  return s;
}

t.test(`fuzz (seed ${seed})`, async (t) => {
  t.ok(corpus.length > 20, 'corpus of recorded lines');
  const deadline = Date.now() + 4000;
  let n = 0;
  let errors = 0;
  let slowest = 0;
  while (n < 20000 && Date.now() < deadline) {
    const line = n % 3 === 0 ? randomBytes() : mutate(pick(corpus));
    const start = performance.now();
    let kind: string;
    try {
      kind = parseLine(line).kind;
    } catch (err) {
      t.fail(`threw on ${JSON.stringify(line)}: ${String(err)}`);
      return;
    }
    slowest = Math.max(slowest, performance.now() - start);
    if (kind === 'parse-error') errors++;
    n++;
  }
  t.ok(n >= 2000, `${n} inputs parsed (${errors} parse-error records)`);
  t.ok(slowest < 1000, `slowest input ${slowest.toFixed(2)} ms (no pathological backtracking)`);
});
