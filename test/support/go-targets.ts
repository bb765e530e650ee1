// The test side of the Go targets: a progress assertion and the shared lock on the build dir.
// The targets themselves: scripts/kit/go-target.ts and scripts/kit/fixtures.ts.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR } from '../../scripts/kit/fixtures.ts';
import type { GoTarget } from '../../scripts/kit/go-target.ts';

/** Asserts that `target` makes progress over `ms` (see GoTarget.progress); the figures go in the message. */
export async function assertRunning(t: { ok(value: unknown, message: string): unknown }, target: GoTarget, what: string, ms = 200): Promise<void> {
  const p = await target.progress(ms);
  t.ok(p.running, `${what} (${p.text})`);
}

/**
 * Holds a shared lock on the fixture build dir for the rest of the test file, so a concurrent
 * build-fixtures.sh (it takes the lock exclusively and rewrites binaries) cannot swap files
 * mid-test. flock(1) locks our own open file description (fd 3) and exits; the lock lives
 * until we close the fd, so no helper process outlives the test.
 */
export function holdBuildDirShared(t: { before(fn: () => unknown): void; teardown(fn: () => unknown): void }): void {
  t.before(async () => {
    const fd = openSync(join(BUILD_DIR, '.lock'), 'a');
    t.teardown(() => closeSync(fd));
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn('flock', ['-s', '-w', '600', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
      p.once('error', reject);
      p.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`flock -s on ${BUILD_DIR}/.lock failed (${code})`);
  });
}
