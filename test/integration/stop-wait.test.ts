// The wait for every thread to stop (ThreadTracker) ends when gdb or the target dies, instead of
// sitting out its timeout, so GDB_FAILED and target-exited reach clients at once; and the
// watchdog's settle check (stopSettled) tells when nothing of ours can stop the target any
// more. Real gdb, real memhog. Each wait here is given two minutes: the test finishing at all
// is the proof that something other than the timeout ended it (the time taken goes into
// scripts/bench-chaos.ts, never into an assertion).
import t from 'tap';
import { silentLogger } from '../../bridge/log.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { execInterruptAll } from '../../bridge/mi/commands/exec.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import type { MiClient } from '../../bridge/mi/client.ts';
import { openGdb } from '../../bridge/mi/open.ts';
import { ThreadTracker } from '../../bridge/mi/threads.ts';
import { stopSettled } from '../../bridge/access/proc/proc-status.ts';
import { processAlive } from '../../bridge/access/watchdog.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { assertRunning } from '../support/go-targets.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { until } from '../../scripts/kit/time.ts';

const FOREVER_MS = 120_000;

async function attached(t: { teardown(fn: () => unknown): void }): Promise<{ gdb: MiClient; target: GoTarget; threads: ThreadTracker }> {
  const target = await GoTarget.start(fixture());
  t.teardown(() => target.stop());
  const gdb = await openGdb({ log: silentLogger(), timeoutMs: 60_000 });
  t.teardown(async () => {
    // A gdb whose target died in our stop may not answer: it is killed, as the reader kills it
    // then. (A stopped, orphaned "gdb" once seen after this file was a fork of gdb's ptrace
    // probe, cut off by the SIGKILL of the first case; its supervisor now kills such leftovers.)
    if (!gdb.isExited && !processAlive(target.pid)) gdb.kill('SIGKILL');
    if (!gdb.isExited) await gdb.close({ graceMs: 1000 });
    await gdb.exited;
    if (isAlive(gdb.pid)) process.kill(gdb.pid, 'SIGKILL');
  });
  // Made before the attach, so it knows every thread (as the reader's does).
  const threads = new ThreadTracker(gdb, () => !processAlive(target.pid));
  t.teardown(() => threads.dispose());
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await until(() => threads.known.size > 1, 5000);
  return { gdb, target, threads };
}

t.test('gdb SIGKILLed: a wait for all threads to stop ends (false) at its death', async (t) => {
  const { gdb, target, threads } = await attached(t);
  // Nothing was interrupted: only gdb's death can end this wait.
  const waiting = threads.waitAllStopped(FOREVER_MS);
  gdb.kill('SIGKILL');
  t.equal(await waiting, false, 'the wait ended without every thread stopped');
  t.ok(threads.gdbGone, 'because gdb is gone');
  t.equal(await threads.waitAnyStopped(FOREVER_MS), false, 'a later wait ends at once');
  await gdb.exited;
  t.ok(await until(() => fullyDetached(target.pid), 5000), 'the target is detached');
  await assertRunning(t, target, 'after gdb died');
});

t.test('target SIGKILLed in the middle of our stop: the wait ends (gdb 13 may never report its leader)', async (t) => {
  const { gdb, target, threads } = await attached(t);
  // Stop everything and kill the process before the stops are all reported: gdb then reports
  // the other threads' exits but (often) neither the leader's stop nor the group's exit.
  await execInterruptAll(gdb);
  process.kill(target.pid, 'SIGKILL');
  await threads.waitAllStopped(FOREVER_MS);
  t.pass('the wait ended');
  t.ok(threads.groupExited || !processAlive(target.pid), 'the process is gone');
  t.ok(isAlive(gdb.pid), 'gdb itself lives on (the reader closes it)');
});

t.test('stopSettled: a running untraced process is settled; a traced or stopped one is not', async (t) => {
  const target = await GoTarget.start(fixture());
  t.teardown(() => target.stop());
  t.ok(stopSettled(target.pid), 'running, never traced');
  process.kill(target.pid, 'SIGSTOP');
  t.ok(await until(() => !stopSettled(target.pid), 5000), 'stopped (T)');
  process.kill(target.pid, 'SIGCONT');
  t.ok(await until(() => stopSettled(target.pid), 5000), 'continued');
  const gdb = await openGdb({ log: silentLogger() });
  t.teardown(() => gdb.close({ graceMs: 1000 }));
  await attachInBackground(gdb, target.pid);
  t.notOk(stopSettled(target.pid), 'traced');
  await gdb.close({ graceMs: 1000 });
  t.ok(await until(() => stopSettled(target.pid), 5000), 'settled after the detach');
  await assertRunning(t, target, 'after the detach');
});
