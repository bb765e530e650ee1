// Issue 16's stop check, shared by every launch path: after a stop signal the launched process
// exits 0 within 3 s, its port is closed, and the target it had attached runs on untraced.
import type { ChildProcess } from 'node:child_process';
import { portOpen } from '../../scripts/kit/ports.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';

interface Tap {
  equal(found: unknown, wanted: unknown, message: string): unknown;
  not(found: unknown, notWanted: unknown, message: string): unknown;
  notOk(value: unknown, message: string): unknown;
}

/** The issue's bound: from the signal to exit, detach and a closed port. */
export const STOP_BOUND_MS = 3000;

/** Resolves with the child's exit code, or 'late' when it is still running after `ms`. */
export function exitWithin(child: ChildProcess, ms: number): Promise<number | null | 'late'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return Promise.race([
    new Promise<number | null>((r) => child.once('exit', (code) => r(code))),
    new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref()),
  ]);
}

/**
 * Sends `signal` to `child` and asserts the issue's stop: exit 0 within 3 s, `port` closed,
 * `targetPid` (when given) untraced and not stopped. `signalPid` overrides whom to signal
 * (a launcher's child, say); the exit awaited is `child`'s.
 */
export async function assertCleanStop(t: Tap, child: ChildProcess, opts: { signal: NodeJS.Signals; port: number; targetPid?: number; signalPid?: number; output?: () => string }): Promise<void> {
  const t0 = performance.now();
  process.kill(opts.signalPid ?? child.pid!, opts.signal);
  const code = await exitWithin(child, STOP_BOUND_MS);
  const ms = (performance.now() - t0).toFixed(0);
  t.equal(code, 0, `${opts.signal}: exited 0 within 3 s (${code === 'late' ? 'still running' : `${ms} ms`})${code === 0 ? '' : ` ${opts.output?.().slice(-1500) ?? ''}`}`);
  t.notOk(await portOpen(opts.port), 'the port is closed');
  if (opts.targetPid === undefined) return;
  const s = readProcStatus(opts.targetPid);
  t.equal(s?.tracerPid, 0, 'the target is untraced');
  t.not(s?.state ?? 'gone', 'T', 'and not stopped');
}
