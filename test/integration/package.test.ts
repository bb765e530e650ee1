// The package as users get it: `npm pack`, installed into an empty directory, then the
// installed `mstat --help` / `--version`, a one-shot read of a running fixture, the installed
// `mstat-bridge` answering /healthz and serving the prebuilt dashboard, and a plain-Node import
// of the client library and the protocol (no TypeScript loader anywhere).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { assertCleanStop } from '../support/clean-stop.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { installTarball, packTarball, PACKAGE_ENV as env } from '../support/package-install.ts';
import { freePort } from '../../scripts/kit/ports.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

const run = promisify(execFile);

t.setTimeout(600_000);
const work = mkdtempSync(join(tmpdir(), 'mstat-package-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

let tarball = '';
const app = join(work, 'app');

t.test('npm pack: the tarball holds the built code, the bins and the docs, no tests', async (t) => {
  const packed = await packTarball(work);
  tarball = packed.tarball;
  const files = packed.files;
  for (const need of ['scripts/deploy/systemd/mstat-bridge@.service', 'scripts/deploy/container/Dockerfile', 'scripts/deploy/prometheus/prometheus.yml', 'scripts/deploy/grafana/mstat-bridge.json', 'dist/bin/mstat.js', 'dist/bin/mstat-bridge.js', 'dist/clients/cli/mstat.js', 'dist/bridge/main.js', 'dist/clients/shared/bridge-client.js', 'dist/clients/shared/bridge-client.d.ts', 'dist/protocol/index.d.ts', 'dist/clients/web/app.js', 'scripts/bin/mstat.js', 'scripts/bin/mstat-bridge.js', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
    t.ok(files.includes(need), `ships ${need}`);
  }
  t.same(files.filter((f) => f.startsWith('test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), [], 'no tests, no TypeScript sources');
  t.ok(files.length < 400, `${files.length} files`);
});

t.test('installed into an empty directory', async (t) => {
  const dir = app;
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  await installTarball(tarball, dir);
  t.ok(existsSync(join(dir, 'node_modules', '.bin', 'mstat')), 'the mstat bin is linked');
  t.ok(existsSync(join(dir, 'node_modules', '.bin', 'mstat-bridge')), 'the mstat-bridge bin is linked');
  const deps = readdirSync(join(dir, 'node_modules')).filter((d) => !d.startsWith('.'));
  t.notOk(deps.includes('tsx') || deps.includes('esbuild') || deps.includes('typescript'), `no TypeScript tooling installed (${deps.length} packages)`);
});

t.test('the installed mstat: --help, --version, a one-shot reading', async (t) => {
  const bin = join(app, 'node_modules', '.bin', 'mstat');
  const help = await run(bin, ['--help'], { cwd: app, env });
  t.match(help.stdout, /^usage: mstat /, '--help');
  const version = await run(bin, ['--version'], { cwd: app, env });
  t.match(version.stdout, /^mstat-bridge \d+\.\d+\.\d+\n$/, `--version: ${version.stdout.trim()}`);

  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  const cache = mkdtempSync(join(work, 'cache-'));
  const one = await run(bin, ['--pid', String(go.pid)], { cwd: app, env: { ...env, MSTAT_CACHE_DIR: cache }, maxBuffer: 16 << 20 });
  const m = JSON.parse(one.stdout) as Record<string, unknown>;
  t.ok(typeof m.HeapAlloc === 'number' && (m.NumGC as number) >= 0 && Array.isArray(m.BySize), 'a MemStats JSON reading');
});

t.test('the installed mstat-bridge: /healthz and the prebuilt dashboard, then SIGTERM', async (t) => {
  const port = await freePort();
  const child = spawn(join(app, 'node_modules', '.bin', 'mstat-bridge'), ['--listen', `127.0.0.1:${port}`, '--no-auth', '--log-level', 'warn'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const up = await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true, 30_000, 100);
  t.ok(up, `/healthz answers 200 ${stderr}`);
  const page = await fetch(`http://127.0.0.1:${port}/app.js`);
  t.equal(page.status, 200, 'the dashboard bundle is served');
  t.ok((await page.text()).length > 10_000, 'and is the real bundle');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exits 0 on SIGTERM');
});

// Issue 16: the installed bin (what a service runs) under each stop signal, with a target
// attached: every target detached (untraced, not stopped, running) and the port closed within 3 s.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  t.test(`the installed mstat-bridge with a target attached, ${signal}: detached and closed within 3 s`, async (t) => {
    const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
    t.teardown(() => go.stop());
    const port = await freePort();
    const child = spawn(join(app, 'node_modules', '.bin', 'mstat-bridge'), ['--listen', `127.0.0.1:${port}`, '--no-auth', '--log-level', 'warn', '--scrape-attach', String(go.pid)], { cwd: app, env: { ...env, MSTAT_CACHE_DIR: mkdtempSync(join(work, 'cache-')) }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => child.kill('SIGKILL'));
    const traced = await until(() => (readProcStatus(go.pid)?.tracerPid ?? 0) !== 0, 30_000, 50);
    t.ok(traced, 'the target is attached (--scrape-attach)');
    await assertCleanStop(t, child, { signal, port, targetPid: go.pid });
    t.equal((await go.command('memstats')).event, 'memstats', 'and answers');
  });
}

t.test('plain Node imports the client library and the protocol', async (t) => {
  const script = [
    "import { BridgeClient, wsUrl } from 'mstat-bridge/client';",
    "import { ServerMessageSchema, WS_PATH } from 'mstat-bridge/protocol';",
    "import { readFileSync } from 'node:fs';",
    "import { createRequire } from 'node:module';",
    "const schema = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('mstat-bridge/protocol.schema.json'), 'utf8'));",
    "console.log(JSON.stringify({ client: typeof BridgeClient, url: wsUrl('ws://127.0.0.1:1', 't'), parse: typeof ServerMessageSchema.parse, path: WS_PATH, schema: typeof schema }));",
  ].join('\n');
  writeFileSync(join(app, 'probe.mjs'), script);
  const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: app, env });
  const got = JSON.parse(stdout) as Record<string, string>;
  t.equal(got.client, 'function', 'BridgeClient');
  t.equal(got.parse, 'function', 'the protocol schemas');
  t.match(got.url, /^ws:\/\/127\.0\.0\.1:1\//, `wsUrl: ${got.url}`);
  t.equal(got.schema, 'object', 'the JSON schema');
});
