// The demo builds its program the way scripts/demo.sh does (FIXTURE_OUT, one toolchain) and
// must leave the tests' builds and manifest as they were: a demo run once broke four unit
// tests by rewriting test/targets/.build/manifest.json with the 1.26 builds only.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { BUILD_DIR, type FixtureBuild } from '../../scripts/kit/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');

t.test("a demo build (FIXTURE_OUT) leaves the tests' manifest and builds untouched", async (t) => {
  const manifest = join(BUILD_DIR, 'manifest.json');
  const before = { text: readFileSync(manifest, 'utf8'), mtimeMs: statSync(manifest).mtimeMs };
  const out = mkdtempSync(join(tmpdir(), 'mstat-demo-build-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));

  await promisify(execFile)('bash', [join(ROOT, 'scripts', 'build-fixtures.sh')], {
    cwd: ROOT,
    env: { ...process.env, FIXTURE_OUT: out, FIXTURE_TOOLCHAINS: '1.26' },
    maxBuffer: 16 << 20,
  });

  t.equal(readFileSync(manifest, 'utf8'), before.text, 'the tests\' manifest has the same content');
  t.equal(statSync(manifest).mtimeMs, before.mtimeMs, 'and was not rewritten');
  const tests = JSON.parse(before.text) as FixtureBuild[];
  t.ok(new Set(tests.map((b) => b.toolchain)).size >= 6, `the tests' manifest still lists every toolchain (${[...new Set(tests.map((b) => b.toolchain))].join(', ')})`);
  const demo = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as FixtureBuild[];
  t.ok(demo.length > 0 && demo.every((b) => b.toolchain === '1.26' && b.path.startsWith(out)), `the demo's builds are all 1.26 and all under its own dir (${demo.length})`);
  t.ok(demo.some((b) => b.program === 'memhog' && b.variant === 'default'), 'the demo program is among them');
});
