// The package's version, for --version: read from package.json when asked, so that a
// --version needs nothing else loaded.
import { packageRoot } from './package-root.ts';

export function packageVersion(): string {
  const root = packageRoot();
  return root ? `${root.name} ${root.version}` : 'mstat-bridge (version unknown)';
}
