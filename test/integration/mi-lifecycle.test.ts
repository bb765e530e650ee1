// MiClient lifecycle edges against real gdb 13 and the memhog target: a pipe to gdb breaking
// while the process is still there, and close()'s SIGTERM/SIGKILL fallback. No fake gdb:
// each situation is produced by the real gdb (and its real supervisor shell).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { silentLogger } from '../../bridge/log.ts';
import { MiClient } from '../../bridge/mi/client.ts';
import { interpreterExecConsole } from '../../bridge/mi/commands/console.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { gdbShow } from '../../bridge/mi/commands/gdb.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import { descendantPids, parentPid } from '../../bridge/mi/process-tree.ts';
import { openGdb } from '../../bridge/mi/open.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { assertRunning } from '../support/go-targets.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

const build = fixture();

async function startTarget(t: { teardown(fn: () => unknown): void }): Promise<GoTarget> {
  const target = await GoTarget.start(build);
  t.teardown(() => target.stop());
  return target;
}

/** A gdb attached (non-stop, in the background) to a fresh target; killed in teardown whatever happens. */
async function attachedGdb(t: { teardown(fn: () => unknown): void }, opts: { gdbPath?: string } = {}): Promise<{ gdb: MiClient; target: GoTarget }> {
  const target = await startTarget(t);
  const gdb = await openGdb({ log: silentLogger(), timeoutMs: 60_000, ...opts });
  t.teardown(async () => {
    if (!gdb.isExited) await gdb.close({ graceMs: 1000 });
    await gdb.exited;
  });
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  return { gdb, target };
}


/** The process group of `pid`, from /proc/PID/stat. */
function pgrpOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function groupMembers(pgrp: number): number[] {
  return readdirSync('/proc').filter((e) => /^[0-9]+$/.test(e)).map(Number).filter((p) => pgrpOf(p) === pgrp);
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The `sleep` gdb's `shell` command started, once it runs. */
async function shellSleepOf(gdb: MiClient): Promise<number> {
  let pid: number | undefined;
  await until(() => (pid = descendantPids(gdb.pid).find((p) => comm(p) === 'sleep')) !== undefined, 5000);
  if (pid === undefined) throw new Error(`no sleep child of gdb ${gdb.pid}`);
  return pid;
}

t.test('stdout closes while the process lingers: pending commands reject at once, not at the process exit', async (t) => {
  // gdb is SIGKILLed with a target registered for its supervisor shell. The supervisor holds
  // gdb's stdout too; once gdb is gone it drops it (exec >/dev/null) and then spends ≥ 0.5 s
  // checking the target before it exits. So our stdout closes while the process we spawned
  // is still running: exactly the window in which commands used to wait for the exit.
  const { gdb, target } = await attachedGdb(t);
  const supervisor = parentPid(gdb.pid);
  t.ok(supervisor !== undefined && supervisor !== process.pid, `gdb runs under its supervisor (${supervisor})`);
  let exitSeen = false;
  void gdb.exited.then(() => (exitSeen = true));
  // Busy in Python: a pending command that starts no child (a `shell` child would hold stdout open).
  const busy = interpreterExecConsole(gdb, 'python import time; time.sleep(30)');
  const busy2 = gdbShow(gdb, 'width');
  await sleep(300);
  const t0 = Date.now();
  gdb.kill('SIGKILL');
  const err = await busy.catch((e: unknown) => e);
  const supervisorAliveAtReject = isAlive(supervisor!);
  const exitSeenAtReject = exitSeen;
  t.match(err, { code: 'MI_ERR_GDB_EXITED', message: /pipe closed/ }, 'the pending command rejects with the coded error');
  await t.rejects(busy2, { code: 'MI_ERR_GDB_EXITED' }, 'every pending command does');
  t.ok(supervisorAliveAtReject, 'it rejected while the spawned process was still running');
  t.notOk(exitSeenAtReject, 'before the client saw the process exit');
  t.ok(Date.now() - t0 < 2000, `promptly (${Date.now() - t0} ms)`);
  t.ok(gdb.isExited, 'the client reports itself unusable');
  await t.rejects(gdbShow(gdb, 'width'), { code: 'MI_ERR_GDB_EXITED' }, 'a later command fails at once');
  const exit = await gdb.exited;
  t.equal(exit.signal, 'SIGKILL', 'the process exit is still reported');
  t.same(exit.attachedPids, [target.pid]);
  t.notOk(isAlive(supervisor!), 'supervisor reaped');
  t.ok(await until(() => fullyDetached(target.pid)), 'target untraced');
  await assertRunning(t, target, 'target running');
});

t.test('stdin breaks while gdb lives on: pending commands reject at once, the client reaps gdb', async (t) => {
  // gdb itself swaps its stdin for /dev/null (Python os.dup2) and stays busy: it was the only
  // reader of our pipe, so our next write fails with EPIPE while gdb is still alive.
  const { gdb, target } = await attachedGdb(t);
  const gdbPid = gdb.pid;
  const busy = interpreterExecConsole(gdb, 'python import os, time; os.dup2(os.open("/dev/null", os.O_RDONLY), 0); time.sleep(30)');
  busy.catch(() => undefined);
  await sleep(500);
  const t0 = Date.now();
  const next = gdbShow(gdb, 'width');
  await t.rejects(next, { code: 'MI_ERR_GDB_EXITED', message: /pipe closed \(writing to gdb failed \(EPIPE\)\)/ }, 'the command that hit the broken pipe rejects');
  await t.rejects(busy, { code: 'MI_ERR_GDB_EXITED' }, 'so does the one gdb is busy with');
  t.ok(Date.now() - t0 < 2000, `promptly (${Date.now() - t0} ms), not at the 60 s timeout`);
  t.ok(isAlive(gdbPid), 'gdb was still alive when they rejected');
  t.ok(gdb.isExited, 'the client reports itself unusable');
  await t.rejects(gdbShow(gdb, 'width'), { code: 'MI_ERR_GDB_EXITED' }, 'a later command fails at once');
  // Nothing can make it read again: the client SIGTERMs, then SIGKILLs it after its grace periods.
  const exit = await gdb.exited;
  t.comment(`gdb went after ${Date.now() - t0} ms (${exit.signal ?? `exit code ${exit.exitCode}`})`);
  t.notOk(isAlive(gdbPid), 'gdb reaped');
  t.ok(await until(() => fullyDetached(target.pid)), 'target untraced');
  t.not(readProcStatus(target.pid)?.state, 'T', 'target not stopped');
  await assertRunning(t, target, 'target running');
});

/** After close(): gdb and its `shell` child reaped, the target detached and running. */
async function expectGdbAndChildGone(t: Test, gdbPid: number, sleepPid: number, target: GoTarget): Promise<void> {
  t.notOk(isAlive(gdbPid), 'gdb reaped');
  t.ok(await until(() => !isAlive(sleepPid), 2000), 'its `sleep` child is gone too (no orphan)');
  t.ok(await until(() => fullyDetached(target.pid)), 'target untraced');
  await assertRunning(t, target, 'target running');
}

t.test('close(): gdb busy past -gdb-exit is SIGTERMed with its shell child, detaches and is reaped', async (t) => {
  const { gdb, target } = await attachedGdb(t);
  const busy = interpreterExecConsole(gdb, 'shell sleep 30', { timeoutMs: 60_000 });
  busy.catch(() => undefined);
  const sleepPid = await shellSleepOf(gdb);
  const gdbPid = gdb.pid;
  const t0 = Date.now();
  // Neither the detach nor -gdb-exit is read while `shell` runs.
  const exit = await gdb.close({ graceMs: 500 });
  const took = Date.now() - t0;
  t.ok(took < 5000, `close returned in ${took} ms, long before the 30 s sleep`);
  t.ok(exit.requested, 'an exit we asked for');
  await expectGdbAndChildGone(t, gdbPid, sleepPid, target);
});

t.test('close(): a gdb that also outlasts SIGTERM is SIGKILLed with its child and reaped', async (t) => {
  const { gdb, target } = await attachedGdb(t);
  // The shell and its sleep ignore SIGTERM, so gdb stays blocked waiting for them.
  const busy = interpreterExecConsole(gdb, "shell trap '' TERM; sleep 30", { timeoutMs: 60_000 });
  busy.catch(() => undefined);
  const sleepPid = await shellSleepOf(gdb);
  const gdbPid = gdb.pid;
  const t0 = Date.now();
  const exit = await gdb.close({ graceMs: 500 });
  const took = Date.now() - t0;
  t.ok(took < 5000, `close returned in ${took} ms`);
  t.equal(exit.signal, 'SIGKILL', 'the last resort was needed');
  await t.rejects(busy, { code: 'MI_ERR_GDB_EXITED' }, 'the busy command rejects with the coded error');
  await expectGdbAndChildGone(t, gdbPid, sleepPid, target);
  t.not(readProcStatus(target.pid)?.state, 'T', 'target not stopped');
});

for (const withPgrep of [true, false]) {
  t.test(`gdb SIGKILLed while a fork of its own is stopped (its ptrace probe): the supervisor kills the leftover (${withPgrep ? 'pgrep' : 'no procps: its /proc loop'})`, async (t) => {
    // Right after an attach gdb probes ptrace in a forked copy of itself that stops itself with
    // SIGSTOP until gdb looks at it; a gdb SIGKILLed in that instant left the copy stopped and
    // orphaned (seen: State T, ppid 1, holding the target's mem file). The instant is ~1 ms, so
    // the same leftover is made on purpose: a child of gdb, in its process group, stopped.
    // Without procps, the supervisor finds its group by reading /proc itself: PATH holds no pgrep.
    const path = process.env.PATH;
    const gdbPath = (path ?? '').split(':').map((d) => join(d, 'gdb')).find((f) => existsSync(f));
    if (!withPgrep) process.env.PATH = '/nonexistent';
    const { gdb, target } = await attachedGdb(t, { gdbPath }).finally(() => (process.env.PATH = path));
    // The outer shell exits at once, so the stopped one is orphaned already, as the probe would be.
    await interpreterExecConsole(gdb, "shell /bin/sh -c 'kill -STOP $$; exec /bin/sleep 60' &");
    const group = pgrpOf(gdb.pid)!;
    let stopped: number | undefined;
    await until(() => (stopped = groupMembers(group).find((p) => p !== gdb.pid && readProcStatus(p)?.state === 'T')) !== undefined, 5000);
    if (stopped === undefined) throw new Error(`nothing stopped in gdb's process group ${group}`);
    t.not(parentPid(stopped), gdb.pid, `the stopped process ${stopped} in gdb's group is not gdb's child any more (orphaned)`);
    gdb.kill('SIGKILL');
    await gdb.exited;
    t.ok(await until(() => !isAlive(stopped!), 5000), 'the stopped leftover is gone once the supervisor has exited');
    t.ok(await until(() => fullyDetached(target.pid), 5000), 'the target is detached');
    await assertRunning(t, target, 'the target (another process group) is untouched and running');
  });
}
