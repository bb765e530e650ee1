// Lazy startup (issue 15): `--help`, `--version` and a usage error of both commands load no
// gdb, server, ssh, WebSocket or logger code; `--version` prints the package's version.
// Every module the process resolves is recorded by a module hook (record-imports.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** What none of these paths may load. */
const HEAVY = /\/node_modules\/(ws|pino|pino-[a-z-]+|execa|@vscode)\/|\/bridge\/(mi|go|server|remote|targets)\/|\/bridge\/(bridge|log)\.ts$/;

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mstat-imports-'));
  try {
    const out = join(dir, 'imports.txt');
    // Without tap's NODE_OPTIONS loaders: only what the command itself loads is recorded.
    const env = { ...process.env, RECORD_IMPORTS: out, NODE_OPTIONS: '' };
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'test', 'support', 'record-imports.mjs'), join(ROOT, script), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    let loaded: string[] = [];
    try {
      loaded = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    } catch {
      /* nothing recorded: asserted below */
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CASES: Array<{ script: string; args: string[]; status: number; out: RegExp; stream: 'stdout' | 'stderr' }> = [
  { script: 'clients/cli/mstat.ts', args: ['--help'], status: 0, out: /^usage: mstat /, stream: 'stdout' },
  { script: 'clients/cli/mstat.ts', args: ['--version'], status: 0, out: new RegExp(`^mstat-bridge ${VERSION.replace(/\./g, '\\.')}\\n$`), stream: 'stdout' },
  { script: 'clients/cli/mstat.ts', args: ['-V'], status: 0, out: new RegExp(`^mstat-bridge ${VERSION.replace(/\./g, '\\.')}\\n$`), stream: 'stdout' },
  { script: 'clients/cli/mstat.ts', args: ['--no-such-flag'], status: 2, out: /^mstat: /, stream: 'stderr' },
  { script: 'bridge/main.ts', args: ['--help'], status: 0, out: /^usage: mstat-bridge /, stream: 'stdout' },
  { script: 'bridge/main.ts', args: ['--version'], status: 0, out: new RegExp(`^mstat-bridge ${VERSION.replace(/\./g, '\\.')}\\n$`), stream: 'stdout' },
  { script: 'bridge/main.ts', args: ['--no-such-flag'], status: 2, out: /^mstat-bridge: /, stream: 'stderr' },
];

for (const c of CASES) {
  t.test(`${c.script} ${c.args.join(' ')}: answers without loading gdb, server, ws or pino code`, async (t) => {
    const r = run(c.script, c.args);
    t.equal(r.status, c.status, `exit status ${c.status}`);
    t.match(r[c.stream], c.out, `${c.stream}: ${r[c.stream].split('\n')[0]}`);
    t.ok(r.loaded.some((u) => u.endsWith(c.script)), `the hook recorded the run (${r.loaded.length} modules)`);
    const heavy = r.loaded.filter((u) => HEAVY.test(u)).map((u) => u.replace(/^file:\/\//, '').replace(ROOT + '/', ''));
    t.same(heavy, [], 'no heavy module loaded');
  });
}
