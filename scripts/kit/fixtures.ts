// The Go test programs built by scripts/build-fixtures.sh (test/targets/.build/manifest.json):
// which builds there are, and the one a caller asks for.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixtureBuild {
  program: string;
  toolchain: string;
  goVersion: string;
  /**
   * cgo/pie/nodwarf/stripped: Go 1.26 builds. large: newest toolchain, memhog -tags large (far
   * more code linked in, same behaviour) for size comparisons; test matrices that select
   * variants by name leave it out.
   */
  variant: 'default' | 'cgo' | 'pie' | 'nodwarf' | 'stripped' | 'large';
  path: string;
}

export const BUILD_DIR = join(import.meta.dirname, '..', '..', 'test', 'targets', '.build');

/** All builds; a missing manifest is an error (the test command builds it first). */
export function fixtures(): FixtureBuild[] {
  const manifest = join(BUILD_DIR, 'manifest.json');
  if (!existsSync(manifest)) throw new Error(`${manifest} missing: run scripts/build-fixtures.sh (npm test does)`);
  return JSON.parse(readFileSync(manifest, 'utf8')) as FixtureBuild[];
}

export function fixture(q: { program?: string; toolchain?: string; variant?: FixtureBuild['variant'] } = {}): FixtureBuild {
  const all = fixtures().filter(
    (f) => f.program === (q.program ?? 'memhog') && f.variant === (q.variant ?? 'default') && (q.toolchain === undefined || f.toolchain === q.toolchain),
  );
  // Default: the newest toolchain's build.
  all.sort((a, b) => cmpVersion(b.toolchain, a.toolchain));
  const f = all[0];
  if (!f) throw new Error(`no fixture build for ${JSON.stringify(q)}`);
  return f;
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
