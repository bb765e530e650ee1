// The package's version, for --version: read from package.json when asked, so that a
// --version needs nothing else loaded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
  return `${pkg.name ?? 'mstat-bridge'} ${pkg.version ?? 'unknown'}`;
}
