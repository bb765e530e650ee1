// `npm run build`: the shipped code as JavaScript in dist/ (tsc, tsconfig.build.json: same
// layout as the sources, .d.ts beside, for the client library and the protocol), the two
// commands bundled into dist/bin, and the dashboard bundled once into dist/clients/web, so
// the built bridge needs neither esbuild nor the dashboard's sources at run time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildDashboard } from '../bridge/server/dashboard.ts';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

const t0 = performance.now();
rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
// The two commands as bundles (esbuild, code-split at their dynamic imports): one file to
// parse instead of ~650 modules (ours, execa's, zod's) cuts startup by ~150 ms.
await build({
  entryPoints: { mstat: join(ROOT, 'clients', 'cli', 'mstat.ts'), 'mstat-bridge': join(ROOT, 'bridge', 'main.ts') },
  outdir: join(DIST, 'bin'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (pino) call require(): give the bundle a real one.
  banner: { js: "import { createRequire as __mstatCreateRequire } from 'node:module'; const require = __mstatCreateRequire(import.meta.url);" },
  // Only the dashboard's source fallback imports esbuild; built code serves dist/clients/web.
  external: ['esbuild'],
  logLevel: 'warning',
});
const { assets } = await buildDashboard();
const web = join(DIST, 'clients', 'web');
mkdirSync(web, { recursive: true });
for (const [name, a] of assets) writeFileSync(join(web, name), a.body);
process.stderr.write(`build: dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s (dashboard: ${[...assets.keys()].join(', ')})\n`);
