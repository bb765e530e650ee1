// The package's version, for --version: read from package.json when asked, so that a
// --version needs nothing else loaded. The sources sit one level below it, the built files
// (dist/) two: the nearest package.json named mstat-bridge above this file is ours.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageVersion(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mstat-bridge') return `${pkg.name} ${pkg.version ?? 'unknown'}`;
    }
    if (dirname(dir) === dir) return 'mstat-bridge (version unknown)';
  }
}
