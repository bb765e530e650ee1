// The wire contract (protocol/): the generated JSON Schema is current, uint64 values survive
// encode → JSON → decode exactly, client messages are validated strictly, protocol/ depends on
// nothing but zod, and every example in protocol/README.md is a valid message.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { generateProtocolSchema, SCHEMA_PATH } from '../../scripts/gen-protocol-schema.ts';
import { ClientMessageSchema } from '../../protocol/client-messages.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';
import { BY_SIZE_ENTRIES, MEMSTATS_FIELDS, MEMSTATS_U64_FIELDS, PAUSE_RING, type MemStats } from '../../protocol/memstats.ts';
import { ServerMessageSchema, type SampleMessage, type ServerMessage } from '../../protocol/server-messages.ts';

const PROTOCOL_DIR = join(import.meta.dirname, '..', '..', 'protocol');
const README = join(PROTOCOL_DIR, 'README.md');

// ---------------------------------------------------------------------------------------------
// (a) generated schema is current

t.test('protocol/protocol.schema.json is up to date', async (t) => {
  const generated = generateProtocolSchema();
  let committed = '';
  try {
    committed = readFileSync(SCHEMA_PATH, 'utf8');
  } catch {
    /* missing: fails below */
  }
  t.ok(committed === generated, 'protocol.schema.json matches protocol/*.ts; if not, run npx tsx scripts/gen-protocol-schema.ts');
  t.equal(generateProtocolSchema(), generated, 'generation is deterministic');

  const doc = JSON.parse(generated) as { $schema: string; title: string; client: { oneOf: unknown[] }; server: { oneOf: unknown[] } };
  t.equal(doc.title, 'mstat-bridge protocol v1');
  t.match(doc.$schema, /draft\/2020-12/);
  t.equal(doc.client.oneOf.length, 4, 'four client message types');
  t.equal(doc.server.oneOf.length, 7, 'seven server message types');
  // The wire form: a uint64 is a decimal string, never a number or an (unrepresentable) bigint.
  t.notMatch(generated, /"bigint"|"format": "int64"/, 'no bigint types leak into the schema');
  t.throws(() => z.toJSONSchema(ServerMessageSchema), /BigInt/, 'the output (bigint) side cannot be expressed, hence io: input');
});

// ---------------------------------------------------------------------------------------------
// (b) uint64 round trips

const U63_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

function memstats(): MemStats {
  const m = Object.fromEntries(MEMSTATS_U64_FIELDS.map((f, i) => [f, BigInt(i) * 1_000_003n])) as Record<string, unknown>;
  Object.assign(m, {
    NextGC: U63_MAX,
    LastGC: 1795679846145262866n,
    TotalAlloc: U64_MAX,
    Mallocs: 2n ** 53n + 1n,
    PauseNs: Array.from({ length: PAUSE_RING }, (_, i) => BigInt(i) * 12_345n),
    PauseEnd: Array.from({ length: PAUSE_RING }, (_, i) => 1795679846145262866n - BigInt(i) * 1_000_000_007n),
    NumGC: 4_294_967_295,
    NumForcedGC: 3,
    GCCPUFraction: 0.0038459078906438433,
    EnableGC: true,
    DebugGC: false,
    BySize: Array.from({ length: BY_SIZE_ENTRIES }, (_, i) => ({ Size: i * 16, Mallocs: 2n ** 60n + BigInt(i), Frees: BigInt(i) })),
  });
  return m as MemStats;
}

function sampleMessage(): SampleMessage {
  return {
    type: 'sample',
    subscription: 'sub-1',
    seq: 1,
    time: '2026-11-26T08:12:04.120Z',
    target: { pid: 4242, goVersion: 'go1.26.8', exe: '/srv/app', buildId: 'a/b/c/d' },
    memstats: memstats(),
    rates: { intervalMs: 1000, allocBytesPerSec: 1.5e6, mallocsPerSec: 4470, freesPerSec: 1932, gcPerSec: 0.5, lastPauseNs: 544_223n },
    meta: {
      mode: 'live',
      exact: false,
      estimated: { OtherSys: { kind: 'estimated', bound: 262_144n, reason: 'persistentalloc chunk' }, GCSys: { kind: 'exact' } },
      torn: [],
      attempts: 1,
      readNs: 1_843_210n,
      pauseNs: 0n,
      reads: 23,
      bytes: 19_456,
      dropped: 0,
    },
  };
}

t.test('sample: uint64 values beyond 2^53 survive encode → JSON → decode', async (t) => {
  const msg = sampleMessage();
  const wire = z.encode(ServerMessageSchema, msg);
  const text = JSON.stringify(wire);
  t.match(text, /"NextGC":"9223372036854775807"/, 'NextGC is a decimal string on the wire');
  t.match(text, /"LastGC":"1795679846145262866"/, 'LastGC is a decimal string on the wire');
  t.match(text, /"TotalAlloc":"18446744073709551615"/, 'uint64 max');
  t.match(text, /"bound":"262144"/, 'estimated bound is a string');
  t.match(text, /"NumGC":4294967295/, 'uint32 stays a number');
  const back = z.decode(ServerMessageSchema, JSON.parse(text) as z.input<typeof ServerMessageSchema>) as SampleMessage;
  t.same(back, msg, 'identical after the round trip');
  t.equal(back.memstats.NextGC, 9223372036854775807n);
  t.equal(back.memstats.LastGC, 1795679846145262866n);
  t.equal(back.memstats.PauseEnd[255], msg.memstats.PauseEnd[255]);
  t.equal(back.memstats.BySize[60]?.Mallocs, 2n ** 60n + 60n);
  t.equal(typeof back.meta.readNs, 'bigint');
  t.equal(Object.keys(back.memstats).join(), MEMSTATS_FIELDS.join(), 'Go field order kept');
  // Naive JSON would have lost precision:
  t.not(BigInt(Number(msg.memstats.LastGC)), msg.memstats.LastGC, 'LastGC does not survive a JS number');
});

t.test('uint64 wire strings are checked', async (t) => {
  const wire = JSON.parse(JSON.stringify(z.encode(ServerMessageSchema, sampleMessage()))) as { memstats: Record<string, unknown> };
  const bad = (v: unknown): boolean => !ServerMessageSchema.safeParse({ ...wire, memstats: { ...wire.memstats, NextGC: v } }).success;
  t.ok(bad('18446744073709551616'), '2^64 refused (decimal pattern passes; bigint max catches it)');
  t.ok(bad('99999999999999999999'), '20 nines refused');
  t.ok(bad('-1'), 'negative refused');
  t.ok(bad('007'), 'leading zeros refused');
  t.ok(bad(' 7'), 'spaces refused');
  t.ok(bad('0x10'), 'hex refused');
  t.ok(bad(7), 'a JSON number refused');
  t.notOk(bad('18446744073709551615'), 'uint64 max accepted');
  t.throws(() => z.encode(ServerMessageSchema, { ...sampleMessage(), memstats: { ...memstats(), NextGC: -1n } } as ServerMessage), 'encode refuses a negative bigint');
});

// ---------------------------------------------------------------------------------------------
// (c) client messages

t.test('client messages: defaults and strict validation', async (t) => {
  t.same(ClientMessageSchema.parse({ type: 'subscribe', id: 'sub-1', target: { pid: 4242 } }), {
    type: 'subscribe',
    id: 'sub-1',
    target: { pid: 4242 },
    intervalMs: 1000,
    mode: 'live',
  }, 'subscribe gets intervalMs 1000 and mode live');
  t.same(ClientMessageSchema.parse({ type: 'subscribe', id: 'x', target: { pid: 1 }, intervalMs: 10, mode: 'consistent' }), {
    type: 'subscribe', id: 'x', target: { pid: 1 }, intervalMs: 10, mode: 'consistent',
  }, 'explicit values kept');
  t.same(ClientMessageSchema.parse({ type: 'ping' }), { type: 'ping' }, 'ping without id');
  t.same(ClientMessageSchema.parse({ type: 'list-targets', id: 'l' }), { type: 'list-targets', id: 'l' });
  t.same(ClientMessageSchema.parse({ type: 'unsubscribe', id: 'sub-1' }), { type: 'unsubscribe', id: 'sub-1' });
  t.ok(ClientMessageSchema.safeParse({ type: 'subscribe', id: 'i'.repeat(64), target: { pid: 1 } }).success, 'id of 64 chars accepted');

  for (const target of [
    { ssh: 'db1', pid: 7 }, { ssh: 'ops@db1.example.com:2222', pid: 7 }, { ssh: 'u_1@10.0.0.2', pid: 7, exe: '/srv/copy/app' },
    { ssh: '[::1]:22', pid: 7 }, { core: '/var/crash/core.1', exe: '/srv/app' },
  ]) {
    t.same(ClientMessageSchema.parse({ type: 'subscribe', id: 't', target }).type === 'subscribe' && (ClientMessageSchema.parse({ type: 'subscribe', id: 't', target }) as { target: unknown }).target, target, `target accepted: ${JSON.stringify(target)}`);
  }
  const sub = { type: 'subscribe', id: 'sub-1', target: { pid: 4242 } };
  const rejected: Array<[string, unknown]> = [
    ['unknown type', { type: 'subscribe-all', id: 'a' }],
    ['no type', { id: 'a' }],
    ['extra field', { ...sub, extra: true }],
    ['extra field in target', { ...sub, target: { pid: 4242, host: 'x' } }],
    ['extra field on ping', { type: 'ping', nonce: 1 }],
    ['intervalMs 5', { ...sub, intervalMs: 5 }],
    ['intervalMs 1.5', { ...sub, intervalMs: 10.5 }],
    ['intervalMs too large', { ...sub, intervalMs: 3_600_001 }],
    ['unknown mode', { ...sub, mode: 'fast' }],
    ['pid 0', { ...sub, target: { pid: 0 } }],
    ['pid -1', { ...sub, target: { pid: -1 } }],
    ['pid "12"', { ...sub, target: { pid: '12' } }],
    ['pid 1.5', { ...sub, target: { pid: 1.5 } }],
    ['no target', { type: 'subscribe', id: 'a' }],
    ['id with spaces', { ...sub, id: 'my sub' }],
    ['id with a tab', { ...sub, id: 'a\tb' }],
    ['id non-ASCII', { ...sub, id: 'sübscription' }],
    ['id empty', { ...sub, id: '' }],
    ['id > 64 chars', { ...sub, id: 'i'.repeat(65) }],
    ['id a number', { type: 'unsubscribe', id: 7 }],
    ['list-targets without id', { type: 'list-targets' }],
    ['ssh destination starting with -', { ...sub, target: { ssh: '-oProxyCommand=x', pid: 1 } }],
    ['ssh destination with a space', { ...sub, target: { ssh: 'a b', pid: 1 } }],
    ['ssh destination with shell characters', { ...sub, target: { ssh: 'h;rm', pid: 1 } }],
    ['ssh user starting with -', { ...sub, target: { ssh: '-l@h', pid: 1 } }],
    ['ssh without pid', { ...sub, target: { ssh: 'h' } }],
    ['ssh with a relative exe', { ...sub, target: { ssh: 'h', pid: 1, exe: 'bin/app' } }],
    ['core without exe', { ...sub, target: { core: '/tmp/core' } }],
    ['core relative path', { ...sub, target: { core: 'core', exe: '/bin/x' } }],
    ['core path with a newline', { ...sub, target: { core: '/tmp/co\nre', exe: '/bin/x' } }],
    ['core and pid mixed', { ...sub, target: { core: '/tmp/core', exe: '/bin/x', pid: 3 } }],
    ['not an object', ['subscribe']],
    ['null', null],
  ];
  for (const [what, msg] of rejected) t.notOk(ClientMessageSchema.safeParse(msg).success, `rejected: ${what}`);
});

// ---------------------------------------------------------------------------------------------
// (d) protocol/ imports only zod

t.test('protocol/ imports only zod and its own files', async (t) => {
  const files = readdirSync(PROTOCOL_DIR).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 7, `${files.length} files`);
  for (const f of files) {
    const src = readFileSync(join(PROTOCOL_DIR, f), 'utf8');
    // static imports/re-exports (single- or multi-line) and dynamic import()/require()
    const specs = [
      ...src.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gms),
      ...src.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...src.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g),
    ].map((m) => m[1]!);
    const bad = specs.filter((s) => s !== 'zod' && !/^\.\/[\w.-]+\.ts$/.test(s));
    t.same(bad, [], `${f}: imports only 'zod' and ./*.ts (${specs.join(', ') || 'none'})`);
    t.notMatch(src, /\brequire\s*\(|\bimport\s*\(/, `${f}: no dynamic imports`);
  }
});

// ---------------------------------------------------------------------------------------------
// README examples

interface Block {
  lang: string;
  text: string;
  line: number;
}

function codeBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```([\w-]*)\n([\s\S]*?)^```$/gm;
  for (const m of md.matchAll(re)) out.push({ lang: m[1]!, text: m[2]!, line: md.slice(0, m.index).split('\n').length });
  return out;
}

const ELLIPSIS = '…';
/** Full lengths of the arrays the README abbreviates. */
const FULL_LENGTH: Record<string, number> = { PauseNs: PAUSE_RING, PauseEnd: PAUSE_RING, BySize: BY_SIZE_ENTRIES };

/** Expands arrays cut with a trailing "…" to their full length by repeating the last entry. */
function expand(v: unknown, key: string | undefined, cuts: string[]): unknown {
  if (Array.isArray(v)) {
    if (v.length > 0 && v[v.length - 1] === ELLIPSIS) {
      const full = key === undefined ? undefined : FULL_LENGTH[key];
      if (full === undefined) throw new Error(`"…" in an array I cannot expand (${key ?? 'top level'})`);
      const kept = v.slice(0, -1).map((x) => expand(x, undefined, cuts));
      if (kept.length === 0) throw new Error(`${key}: nothing before "…"`);
      cuts.push(key!);
      while (kept.length < full) kept.push(structuredClone(kept[kept.length - 1]));
      return kept;
    }
    return v.map((x) => expand(x, undefined, cuts));
  }
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x, k, cuts)]));
  if (v === ELLIPSIS) throw new Error(`stray "…" at ${key}`);
  return v;
}

t.test('every JSON example in protocol/README.md is a valid message', async (t) => {
  const md = readFileSync(README, 'utf8');
  const blocks = codeBlocks(md).filter((b) => b.lang === 'json' || b.lang === 'jsonc');
  t.ok(blocks.length >= 11, `${blocks.length} examples`);
  const seen = { client: new Set<string>(), server: new Set<string>() };
  for (const b of blocks) {
    const where = `README.md:${b.line} (${b.lang})`;
    let value: unknown;
    try {
      value = JSON.parse(b.text);
    } catch (err) {
      t.fail(`${where}: not JSON: ${(err as Error).message}`);
      continue;
    }
    if (b.lang === 'jsonc') {
      // Abbreviated: must say so with "…", and must be valid once expanded.
      const cuts: string[] = [];
      value = expand(value, undefined, cuts);
      t.ok(cuts.length > 0, `${where}: an abbreviated block has "…" cuts (${cuts.join(', ')})`);
    } else {
      t.notOk(b.text.includes(ELLIPSIS), `${where}: an unabbreviated block has no "…"`);
    }
    const type = (value as { type?: unknown }).type;
    const asClient = ClientMessageSchema.safeParse(value);
    const asServer = ServerMessageSchema.safeDecode(value as z.input<typeof ServerMessageSchema>);
    if (asClient.success) seen.client.add(String(type));
    if (asServer.success) seen.server.add(String(type));
    t.ok(asClient.success || asServer.success, `${where}: '${String(type)}' is a valid message`, {
      clientIssues: asClient.success ? undefined : asClient.error.issues.slice(0, 3),
      serverIssues: asServer.success ? undefined : asServer.error.issues.slice(0, 3),
    });
    if (asServer.success) {
      // Canonical: re-encoding the decoded message gives the same JSON value back.
      t.same(JSON.parse(JSON.stringify(z.encode(ServerMessageSchema, asServer.data))), value, `${where}: encode(decode(x)) = x`);
    }
  }
  t.same([...seen.client].sort(), ['list-targets', 'ping', 'subscribe', 'unsubscribe'], 'every client message has an example');
  t.same([...seen.server].sort(), ['error', 'pong', 'sample', 'subscribed', 'target-exited', 'targets', 'unsubscribed'], 'every server message has an example');
});

t.test('the README error table is ERROR_CODES', async (t) => {
  const md = readFileSync(README, 'utf8');
  const rows = [...md.matchAll(/^\| `([A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
  t.same(rows, Object.entries(ERROR_CODES), 'same codes, meanings and order as protocol/errors.ts');
});
