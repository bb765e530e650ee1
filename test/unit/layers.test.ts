// The house's layer rules, on resolved import paths (issue 17): what may import what, and no
// cycles. From the bottom: protocol (zod only) ← clients/shared (the code the bridge and the
// clients share: formatters, the Prometheus exposition, the client) ← the clients (web, dap) and
// the bridge ← scripts/kit (the targets, /proc and process kit the scripts and tests share) ←
// the CLI (clients/cli), scripts and tests; no script imports test code. Inside the bridge, ranks from the bottom: the leaves
// (log, errors, settings), mi, go/binary, go/layout, go/decode, go/memory, the reader (go/*.ts),
// access (local, core, remote; /proc), targets, server, and the entry files.
import t from 'tap';
import { cycles, importsOf, sourceFiles, type Edge } from '../support/import-graph.ts';

const LEAVES = new Set([
  'bridge/log.ts', 'bridge/log-levels.ts', 'bridge/errors.ts', 'bridge/cache-dir.ts',
  'bridge/package-root.ts', 'bridge/version.ts', 'bridge/config-schema.ts', 'bridge/go/errors.ts',
]);

const BRIDGE_RANKS: Array<[RegExp, string]> = [
  [/^bridge\/mi\//, 'mi'],
  [/^bridge\/go\/binary\//, 'go/binary'],
  [/^bridge\/go\/layout\//, 'go/layout'],
  [/^bridge\/go\/decode\//, 'go/decode'],
  [/^bridge\/go\/memory\//, 'go/memory'],
  [/^bridge\/go\/[^/]+$/, 'go (the reader)'],
  [/^bridge\/access\//, 'access'],
  [/^bridge\/targets\//, 'targets'],
  [/^bridge\/server\//, 'server'],
  [/^bridge\/[^/]+$/, 'entry'],
];

/** 0 for a leaf, then 1… by BRIDGE_RANKS; undefined outside the bridge. */
function rank(f: string): { n: number; name: string } | undefined {
  if (LEAVES.has(f)) return { n: 0, name: 'leaf' };
  const i = BRIDGE_RANKS.findIndex(([re]) => re.test(f));
  return i < 0 ? undefined : { n: i + 1, name: BRIDGE_RANKS[i]![1] };
}

const isPackage = (to: string): boolean => !to.includes('/') || !/^(bridge|clients|protocol|scripts|test)\//.test(to);

/** Why an import breaks a rule; undefined when it keeps them. */
export function violation(e: Edge): string | undefined {
  const { from, to } = e;
  if (from.startsWith('protocol/')) return to === 'zod' || to.startsWith('protocol/') ? undefined : 'protocol imports only zod and itself';
  // The CLI (a product over the bridge's reader and the client) sits with the scripts, at the top.
  if (from.startsWith('clients/cli/')) return to.startsWith('test/') || to.startsWith('scripts/') ? 'the CLI does not import tests or scripts' : undefined;
  if (from.startsWith('clients/')) {
    if (isPackage(to) || to.startsWith('protocol/') || to.startsWith('clients/shared/')) return undefined;
    const own = /^clients\/[^/]+\//.exec(from)![0];
    return to.startsWith(own) ? undefined : 'a client imports only protocol, clients/shared and its own folder';
  }
  if (from.startsWith('bridge/')) {
    if (isPackage(to) || to.startsWith('protocol/') || to.startsWith('clients/shared/')) return undefined;
    if (!to.startsWith('bridge/')) return 'the bridge imports only protocol, clients/shared and itself';
    const a = rank(from)!;
    const b = rank(to)!;
    if (a.n === 0 && b.n !== 0) return `a leaf (${from}) imports only leaves`;
    if (b.n > a.n) return `${a.name} may not import ${b.name} (a higher layer)`;
    return undefined;
  }
  if (from.startsWith('scripts/') && to.startsWith('test/')) return 'scripts do not import test code';
  // The kit (targets, /proc, sshd, …) sits below the scripts and tests that share it.
  if (from.startsWith('scripts/kit/') && to.startsWith('scripts/') && !to.startsWith('scripts/kit/')) return 'scripts/kit imports only the product, packages and itself';
  return undefined;
}

const files = sourceFiles(['bridge', 'clients', 'protocol', 'scripts']);
const edges = files.flatMap(importsOf);

t.test('the checker sees the graph and catches what it should (not vacuous)', async (t) => {
  t.ok(files.length > 150, `${files.length} source files`);
  t.ok(edges.filter((e) => e.to.startsWith('bridge/')).length > 300, 'hundreds of imports inside the bridge');
  const bad: Array<[string, string]> = [
    ['protocol/target.ts', 'clients/shared/reading.ts'],
    ['clients/shared/reading.ts', 'bridge/go/target.ts'],
    ['clients/web/main.ts', 'clients/dap/engine.ts'],
    ['clients/dap/engine.ts', 'clients/cli/watch-view.ts'],
    ['clients/cli/mstat.ts', 'test/support/cli.ts'],
    ['bridge/server/metrics.ts', 'clients/web/model.ts'],
    ['bridge/mi/client.ts', 'bridge/go/target.ts'],
    ['bridge/go/decode/flush.ts', 'bridge/go/memory/read.ts'],
    ['bridge/go/target.ts', 'bridge/access/local-access.ts'],
    ['bridge/access/local-access.ts', 'bridge/targets/manager.ts'],
    ['bridge/log.ts', 'bridge/mi/client.ts'],
    ['scripts/bench-scale.ts', 'test/support/go-targets.ts'],
    ['scripts/record-mi-transcript.ts', 'test/support/cli.ts'],
    ['scripts/kit/go-target.ts', 'test/support/go-targets.ts'],
    ['scripts/kit/cpu.ts', 'scripts/bench/report.ts'],
  ];
  const good: Array<[string, string]> = [
    ['scripts/bench-chaos.ts', 'scripts/kit/go-target.ts'],
    ['scripts/kit/proc.ts', 'bridge/access/proc/proc-status.ts'],
    ['test/integration/core.test.ts', 'scripts/kit/core-dump.ts'],
  ];
  for (const [from, to] of bad) t.ok(violation({ from, to, line: 1, typeOnly: false }), `${from} → ${to} is refused`);
  for (const [from, to] of good) t.equal(violation({ from, to, line: 1, typeOnly: false }), undefined, `${from} → ${to} is allowed`);
  t.ok(edges.some((e) => e.from.startsWith('scripts/') && !e.from.startsWith('scripts/kit/') && e.to.startsWith('scripts/kit/')), 'scripts import the kit (the rule about it sees real edges)');
  t.strictSame(cycles([{ from: 'a', to: 'b', line: 1, typeOnly: false }, { from: 'b', to: 'a', line: 1, typeOnly: false }]), [['a', 'b']], 'a two-file cycle is found');
});

t.test('every import keeps the layer rules', async (t) => {
  const broken = edges.map((e) => ({ e, why: violation(e) })).filter((x) => x.why !== undefined);
  t.strictSame(broken.map(({ e, why }) => `${e.from}:${e.line} → ${e.to}: ${why}`), [], 'no import runs the wrong way');
});

t.test('no import cycles', async (t) => {
  t.strictSame(cycles(edges.filter((e) => !isPackage(e.to))), [], 'no file imports itself through others');
});

t.test('every import resolves to a file in the tree', async (t) => {
  const known = new Set(sourceFiles(['bridge', 'clients', 'protocol', 'scripts', 'test']));
  const missing = edges.filter((e) => !isPackage(e.to) && !known.has(e.to)).map((e) => `${e.from}:${e.line} → ${e.to}`);
  t.strictSame(missing, [], 'no dangling import (the rules above see real edges)');
});
