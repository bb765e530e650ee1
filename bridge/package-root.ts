// Where this package is installed (the directory of its package.json), found by walking up
// from the running file: the sources sit one level below it, the compiled files (dist/) two,
// the bundled bins (dist/bin/) two as well, and chunk names carry no path.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

let found: { dir: string; name: string; version: string } | undefined;

export function packageRoot(): { dir: string; name: string; version: string } | undefined {
  if (found) return found;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mstat-bridge') return (found = { dir, name: pkg.name, version: pkg.version ?? 'unknown' });
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** True when the running code is the built package (under dist/), not the TypeScript sources. */
export function runningBuilt(): boolean {
  const root = packageRoot();
  return root !== undefined && import.meta.filename.startsWith(join(root.dir, 'dist') + sep);
}
