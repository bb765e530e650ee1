// A worktree of an earlier revision beside this checkout, for benchmarks that measure "main
// before the change" in the same run. It shares our node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export function baselineCheckout(rev: string): string {
  const dir = join(tmpdir(), `mstat-baseline-${rev}`);
  if (!existsSync(join(dir, 'bridge', 'main.ts'))) {
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--force', '--detach', dir, rev], { stdio: 'pipe' });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}
