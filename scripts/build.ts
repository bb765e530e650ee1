// `npm run build`: the shipped code as JavaScript in dist/ (tsc, tsconfig.build.json: same
// layout as the sources, .d.ts beside), and the dashboard bundled once into dist/clients/web,
// so the built bridge needs neither esbuild nor the dashboard's sources at run time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboard } from '../bridge/server/dashboard.ts';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

const t0 = performance.now();
rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
const { assets } = await buildDashboard();
const web = join(DIST, 'clients', 'web');
mkdirSync(web, { recursive: true });
for (const [name, a] of assets) writeFileSync(join(web, name), a.body);
process.stderr.write(`build: dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s (dashboard: ${[...assets.keys()].join(', ')})\n`);
