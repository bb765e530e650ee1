// The web dashboard (clients/web) served at `/`. The built package (npm run build) carries it
// bundled in dist/clients/web; running from the sources, it is bundled in memory by esbuild on
// the first request. Either way it is cached for the life of the process. The page holds no
// data (that comes over the token-guarded WebSocket), so it is served without a token.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { Logger } from '../log.ts';
import { packageRoot, runningBuilt } from '../package-root.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const WEB = join(ROOT, 'clients', 'web');

export interface Asset {
  type: string;
  body: Buffer;
}

/** Paths the dashboard answers; everything else is not its business. */
const PATHS: Record<string, string> = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/app.js.map': 'app.js.map', '/app.css': 'app.css', '/app.css.map': 'app.css.map' };

export function isDashboardPath(path: string): boolean {
  return Object.hasOwn(PATHS, path);
}

/**
 * `import { z } from 'zod'` (protocol/) defeats esbuild's tree shaking, which works on
 * `import * as z`: every zod locale would ship (app.js ≈ 530 KB instead of ≈ 180 KB). The two
 * forms bind the same API, so our own sources get the namespace form in the bundle.
 */
const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/^import \{ z \} from 'zod';$/gm, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/** Bundles clients/web: app.js (+ source map) from main.ts, app.css from style.css with uPlot's CSS. */
export async function buildDashboard(): Promise<{ assets: Map<string, Asset>; ms: number }> {
  const t0 = performance.now();
  const { build } = await import('esbuild'); // loaded only when someone opens the page
  const out = await build({
    absWorkingDir: ROOT,
    entryPoints: [
      { in: join(WEB, 'main.ts'), out: 'app' },
      { in: join(WEB, 'style.css'), out: 'app' },
    ],
    outdir: join(WEB, '.bundle'), // names only: write:false keeps everything in memory
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    tsconfig: join(WEB, 'tsconfig.json'),
    logLevel: 'silent',
    plugins: [zodNamespaceImport],
  });
  const assets = new Map<string, Asset>();
  const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', map: 'application/json; charset=utf-8' };
  for (const f of out.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    assets.set(name, { type: types[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream', body: Buffer.from(f.contents) });
  }
  assets.set('index.html', { type: 'text/html; charset=utf-8', body: await readFile(join(WEB, 'index.html')) });
  for (const need of new Set(Object.values(PATHS))) if (!assets.has(need)) throw new Error(`dashboard bundle lacks ${need}`);
  return { assets, ms: Math.round(performance.now() - t0) };
}

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', map: 'application/json; charset=utf-8' };

/** Built code (under dist/) serves the bundle `npm run build` wrote to dist/clients/web. */
async function prebuiltDashboard(): Promise<{ assets: Map<string, Asset>; ms: number } | undefined> {
  const root = packageRoot();
  if (!root || !runningBuilt()) return undefined;
  const t0 = performance.now();
  const assets = new Map<string, Asset>();
  for (const name of new Set(Object.values(PATHS))) {
    assets.set(name, { type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream', body: await readFile(join(root.dir, 'dist', 'clients', 'web', name)) });
  }
  return { assets, ms: Math.round(performance.now() - t0) };
}

let cached: Promise<Map<string, Asset>> | undefined;

/** The bundle, built once per process; a failed build is retried on the next request. */
export function dashboardAssets(log?: Logger): Promise<Map<string, Asset>> {
  cached ??= prebuiltDashboard().then((p) => p ?? buildDashboard()).then(
    ({ assets, ms }) => {
      log?.info({ ms, bytes: [...assets.values()].reduce((a, x) => a + x.body.length, 0) }, 'dashboard bundled');
      return assets;
    },
    (err: unknown) => {
      cached = undefined;
      throw err;
    },
  );
  return cached;
}

/** Host header as a CSP source, when it is a plain host[:port] (it comes from the client). */
function hostSource(host: string | undefined): string | undefined {
  return host !== undefined && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : undefined;
}

/** Only our own scripts and styles; WebSocket only back to this host. */
export function contentSecurityPolicy(host: string | undefined): string {
  const h = hostSource(host);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${h ? ` ws://${h} wss://${h}` : ''}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function serveDashboard(req: IncomingMessage, res: ServerResponse, path: string, log: Logger): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  let assets: Map<string, Asset>;
  try {
    assets = await dashboardAssets(log);
  } catch (err) {
    log.error({ err }, 'dashboard bundle failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end(`mstat-bridge: the dashboard could not be built: ${(err as Error).message}\n`);
    return;
  }
  const a = assets.get(PATHS[path]!)!;
  res.writeHead(200, {
    'content-type': a.type,
    'content-length': a.body.length,
    // Always fresh: the bundle changes with the bridge, and the page URL may carry a token.
    'cache-control': 'no-store',
    'content-security-policy': contentSecurityPolicy(req.headers.host),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(req.method === 'HEAD' ? undefined : a.body);
}
