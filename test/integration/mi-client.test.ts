// MiClient against real gdb 13 and a real Go target (memhog, newest toolchain).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../bridge/log.ts';
import { MiClient } from '../../bridge/mi/client.ts';
import { interpreterExecConsole } from '../../bridge/mi/commands/console.ts';
import { dataEvaluateExpression, dataReadMemoryBytes } from '../../bridge/mi/commands/data.ts';
import { execContinueAll, execInterruptAll } from '../../bridge/mi/commands/exec.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { gdbShow } from '../../bridge/mi/commands/gdb.ts';
import { attachInBackground, targetDetach } from '../../bridge/mi/commands/target.ts';
import { MiError } from '../../bridge/mi/errors.ts';
import { descendantPids } from '../../bridge/mi/process-tree.ts';
import { openGdb } from '../../bridge/mi/open.ts';
import type { MiResultRecord } from '../../bridge/mi/records.ts';
import { parseSignalTable, signalTableProblems, verifySignalsPassed } from '../../bridge/mi/signals.ts';
import { ensureRunning, resumeIfStopped } from '../../bridge/access/watchdog.ts';
import { openTestGdb } from '../support/gdb.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { assertRunning } from '../support/go-targets.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive, lingeringStops, threadStates } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { gdbProcesses } from '../../scripts/kit/process-tree.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

const build = fixture();

async function startTarget(t: { teardown(fn: () => unknown): void }, args: string[] = []): Promise<GoTarget> {
  const target = await GoTarget.start(build, args);
  t.teardown(() => target.stop());
  return target;
}

async function readCounter(gdb: MiClient): Promise<bigint> {
  const addr = BigInt(await dataEvaluateExpression(gdb, "(unsigned long)&'main.counter'"));
  return (await dataReadMemoryBytes(gdb, addr, 8)).bytes.readBigUInt64LE();
}


t.test(`attach without stopping the target (${build.goVersion})`, async (t) => {
  const target = await startTarget(t);
  const gdb = await openTestGdb(t);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);

  // ptrace's attach stops each thread for an instant (gdb resumes it at once in non-stop
  // background mode); sample thread states to measure that and prove nothing stays stopped.
  let stoppedSince: number | undefined;
  let longestStopMs = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const anyStopped = threadStates(target.pid).some((s) => s === 't' || s === 'T');
      if (anyStopped) stoppedSince ??= performance.now();
      else if (stoppedSince !== undefined) {
        longestStopMs = Math.max(longestStopMs, performance.now() - stoppedSince);
        stoppedSince = undefined;
      }
      await sleep(1);
    }
  })();
  await attachInBackground(gdb, target.pid);
  const c1 = await readCounter(gdb);
  const moved = await target.progress(300);
  const c2 = await readCounter(gdb);
  sampling = false;
  await sampler;

  t.equal(readProcStatus(target.pid)?.tracerPid, gdb.pid, 'gdb is the tracer');
  t.equal(stoppedSince, undefined, 'no thread is left stopped after attach');
  t.comment(`longest window with a thread in ptrace stop during attach: ${longestStopMs.toFixed(1)} ms`);
  // New Go threads start in ptrace stop until gdb resumes them, so a brief 't' is normal;
  // a thread still stopped a moment later is not.
  t.same(await lingeringStops(target.pid), [], 'no thread stays stopped while attached');
  t.ok(moved.running, `target kept making progress while attached (${moved.text})`);
  t.ok(c2 > c1, `main.counter read through gdb advances (${c1} → ${c2})`);
  t.same(gdb.attachedPids, [target.pid]);

  await targetDetach(gdb, target.pid);
  t.equal(await until(() => fullyDetached(target.pid)), true, 'TracerPid 0 after detach');
  await assertRunning(t, target, 'target still running after detach');
});

t.test('reading memory: exact bytes, unmapped address, short read', async (t) => {
  const target = await startTarget(t);
  const gdb = await openTestGdb(t);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);

  const addr = BigInt(await dataEvaluateExpression(gdb, "(unsigned long)&'main.counter'"));
  t.equal(`0x${addr.toString(16)}`, String(target.ready.counterAddr), 'address agrees with the target’s own &counter');
  const ver = await dataEvaluateExpression(gdb, "'runtime.buildVersion'.len");
  t.equal(Number(ver), build.goVersion.length, 'runtime.buildVersion length');

  await t.rejects(dataReadMemoryBytes(gdb, 8n, 8), { code: 'MI_ERR_COMMAND_FAILED', gdbMessage: /Unable to read memory|Cannot access/ });

  // A readable mapping followed by a hole: a read across its end is short. Every process has
  // one (its mappings are not contiguous), so the check always runs.
  const maps = (await import('node:fs'))
    .readFileSync(`/proc/${target.pid}/maps`, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [range, perms] = l.split(' ');
      const [lo, hi] = range!.split('-').map((x) => BigInt(`0x${x}`));
      return { lo: lo!, hi: hi!, readable: perms!.startsWith('r'), special: /\[(vvar|vsyscall|vdso)\]/.test(l) };
    });
  const edge = maps.find((m, i) => m.readable && !m.special && (maps[i + 1] === undefined || maps[i + 1]!.lo > m.hi));
  if (!edge) throw new Error('no readable mapping followed by a hole in /proc/PID/maps');
  const r = await dataReadMemoryBytes(gdb, edge.hi - 100n, 300);
  t.equal(r.partial, true, `short read flagged (0x${edge.hi.toString(16)} ends a mapping)`);
  t.equal(r.bytes.length, 100, 'the bogus extra byte of a short read is dropped');
});

t.test('signals Go raises routinely do not freeze the target (handle … nostop noprint pass)', async (t) => {
  const target = await startTarget(t, ['-signals']);
  const gdb = await openTestGdb(t);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  const stops: string[] = [];
  gdb.on('async', (r) => {
    if (r.class === 'stopped') stops.push(String(r.results['signal-name'] ?? r.results.reason));
  });
  await attachInBackground(gdb, target.pid);
  const moved = await target.progress(1000);
  t.same(stops, [], 'gdb reported no stop');
  t.ok(moved.running, `target progressed through ~20 SIGPIPE/SIGSEGV rounds (${moved.text})`);
  t.same(await lingeringStops(target.pid), [], 'no thread stays in tracing stop (each signal passes through gdb briefly)');
});

t.test('non-stop interrupt and continue of all threads (SIGSTOP-based, never SIGINT)', async (t) => {
  const target = await startTarget(t);
  const gdb = await openTestGdb(t);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  const signals: string[] = [];
  gdb.on('async', (r) => {
    if (r.class === 'stopped') signals.push(String(r.results['signal-name']));
  });
  await execInterruptAll(gdb);
  t.ok(await until(() => threadStates(target.pid).every((s) => s === 't')), 'every thread stopped');
  const a = await readCounter(gdb);
  await sleep(50);
  t.equal(await readCounter(gdb), a, 'counter frozen while stopped');
  t.notOk(signals.includes('SIGINT'), `no SIGINT used (stop signals: ${[...new Set(signals)].join(',')})`);
  await execContinueAll(gdb);
  await assertRunning(t, target, 'running again');
});

t.test('gdb SIGKILLed mid-command: pending commands reject with MI_ERR_GDB_EXITED, nothing left behind', async (t) => {
  const target = await startTarget(t);
  const gdb = await MiClient.start({ log: silentLogger() });
  const { applyPreamble } = await import('../../bridge/mi/preamble.ts');
  await applyPreamble(gdb);
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  const slow = interpreterExecConsole(gdb, 'shell sleep 20', { timeoutMs: 30_000 });
  const slow2 = gdbShow(gdb, 'width', { timeoutMs: 30_000 });
  await sleep(200);
  // The `sleep` outlives a SIGKILLed gdb (and holds its stdout open: the exit path must not
  // wait for EOF); end it after the test so it is no orphan.
  const shellChildren = descendantPids(gdb.pid);
  t.ok(shellChildren.length > 0, 'gdb runs the shell command');
  t.teardown(() => shellChildren.forEach((p) => isAlive(p) && process.kill(p, 'SIGKILL')));
  const t0 = Date.now();
  gdb.kill('SIGKILL');
  await t.rejects(slow, { code: 'MI_ERR_GDB_EXITED' });
  await t.rejects(slow2, { code: 'MI_ERR_GDB_EXITED' });
  t.ok(Date.now() - t0 < 5000, 'rejected promptly, not at the timeout');
  const exit = await gdb.exited;
  t.equal(exit.signal, 'SIGKILL');
  t.same(exit.attachedPids, [target.pid], 'exit reports the still-attached target for the watchdog');
  await t.rejects(gdbShow(gdb, 'width'), { code: 'MI_ERR_GDB_EXITED' }, 'later commands fail at once');
  t.notOk(isAlive(gdb.pid), 'gdb process gone');
  t.ok(await until(() => fullyDetached(target.pid)), 'kernel detached the target');
  await assertRunning(t, target, 'target running');
});

t.test('command timeout: coded error, and the late reply is not mistaken for the next one', async (t) => {
  const gdb = await openTestGdb(t);
  const slow = interpreterExecConsole(gdb, 'shell sleep 1', { timeoutMs: 100 });
  await t.rejects(slow, { code: 'MI_ERR_TIMEOUT' });
  const width = await gdbShow(gdb, 'width', { timeoutMs: 5000 });
  t.equal(width, 'unlimited', 'next command gets its own reply');
  const ptype = await interpreterExecConsole(gdb, 'print 6*7');
  t.match(ptype.output, /= 42/, 'console output goes to the right command');
});

t.test('errors carry the caller’s stack and gdb’s message', async (t) => {
  const gdb = await openTestGdb(t);
  const err = await dataEvaluateExpression(gdb, "'no.such.symbol'").catch((e: unknown) => e);
  t.type(err, MiError);
  t.equal((err as MiError).code, 'MI_ERR_COMMAND_FAILED');
  t.match((err as MiError).gdbMessage, /No symbol/);
  t.match((err as MiError).stack, /mi-client\.test\.ts/, 'stack points at the test, not the stdout handler');
});

t.test('no caller string can inject an MI or CLI command', async (t) => {
  const target = await startTarget(t);
  const gdb = await openTestGdb(t);
  const executed: string[] = [];
  gdb.on('line-out', (l) => executed.push(l));
  // Every result record, tokened or not: an injected command answers with one too.
  const results: MiResultRecord[] = [];
  gdb.on('record', (r) => {
    if (r.kind === 'result') results.push(r);
  });

  // A real file whose directory name contains every dangerous character loads correctly.
  const weird = mkdtempSync(join(tmpdir(), `mstat weird "dir" \\ ; $(x) 'q' é -gdb-exit `));
  t.teardown(() => rmSync(weird, { recursive: true, force: true }));
  const copy = join(weird, 'memhog "copy"; -gdb-exit');
  copyFileSync(build.path, copy);
  await fileExecAndSymbols(gdb, copy);
  const info = await interpreterExecConsole(gdb, 'info files');
  t.ok(info.output.includes(copy), 'gdb loaded exactly the named file');

  // Attached, so that an injected -target-detach or kill would show on the target.
  await attachInBackground(gdb, target.pid);
  // `attach PID &` answers a second, untokened ^running of its own; let it arrive before counting.
  t.ok(await until(() => results.some((r) => r.token === undefined && r.class === 'running')), 'the background attach’s own ^running arrived');
  const c1 = await readCounter(gdb);
  const sentBefore = executed.length;
  const resultsBefore = results.length;

  const payloads = [
    '1"\n-gdb-exit\n"',
    '1\n-target-detach',
    '"; -gdb-exit; "',
    '1\\" -gdb-exit',
    "'main.counter'\n-interpreter-exec console \"kill\"",
    '$(kill -9 ' + String(target.pid) + ')',
    '1\n-interpreter-exec console "detach"',
  ];
  for (const p of payloads) {
    await dataEvaluateExpression(gdb, p).catch((e: unknown) => e);
  }
  await t.rejects(fileExecAndSymbols(gdb, '/nonexistent\n-gdb-exit'), { code: 'MI_ERR_BAD_ARGUMENT' }, 'a path gdb cannot represent is refused');
  await t.rejects(fileExecAndSymbols(gdb, '/nonexistent "x" -gdb-exit'), { code: 'MI_ERR_COMMAND_FAILED', gdbMessage: /nonexistent "x" -gdb-exit: No such file/ });
  await t.rejects(interpreterExecConsole(gdb, 'echo hi\nkill'), { code: 'MI_ERR_BAD_ARGUMENT' });

  t.equal(await gdbShow(gdb, 'width'), 'unlimited', 'gdb still alive and answering');
  const c2 = await readCounter(gdb).catch((e: unknown) => e as Error);
  // Anything injected would have answered with a result record of its own (untokened, or
  // under a token we never sent), however it was parsed.
  await sleep(200);
  const sent = executed.length - sentBefore;
  const answered = results.slice(resultsBefore);
  t.equal(answered.length, sent, `one result record per command sent (${sent})`);
  t.same(answered.map((r) => r.token), executed.slice(sentBefore).map((l) => /^(\d+)-/.exec(l)?.[1]), 'each one under the token of a command we sent, in order');
  t.notOk(gdb.isExited, 'gdb did not exit');
  t.equal(readProcStatus(target.pid)?.tracerPid, gdb.pid, 'target still traced by this gdb (no detach, no kill)');
  t.same(gdb.attachedPids, [target.pid], 'gdb still reports the inferior');
  t.ok(typeof c2 === 'bigint' && c2 > c1, `main.counter read through gdb still advances (${c1} → ${String(c2)})`);
  await assertRunning(t, target, 'target still running');
  t.ok(executed.every((l) => !l.includes('\n')), 'every command went out as one line');
});

t.test('watchdog: a target left stopped with no tracer gets SIGCONT', async (t) => {
  const target = await startTarget(t);
  process.kill(target.pid, 'SIGSTOP');
  t.ok(await until(() => readProcStatus(target.pid)?.state === 'T'), 'target in State T');
  t.equal(resumeIfStopped(target.pid), 'resumed');
  t.ok(await until(() => readProcStatus(target.pid)?.state !== 'T'), 'running again');
  t.equal(resumeIfStopped(target.pid), 'running', 'a running target is left alone');
  await assertRunning(t, target, 'progressing');

  // The real hazard: gdb killed while every thread is stopped.
  const gdb = await openGdb({ log: silentLogger() });
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await execInterruptAll(gdb);
  await until(() => threadStates(target.pid).every((s) => s === 't'));
  gdb.kill('SIGKILL');
  const exit = await gdb.exited;
  t.same(exit.attachedPids, [target.pid]);
  t.not(await ensureRunning(target.pid, undefined, 1000), 'traced', 'kernel detached the target');
  await assertRunning(t, target, 'target running after gdb SIGKILL + watchdog', 300);
});

for (const mode of ['wait:SIGTERM', 'wait:SIGINT', 'wait:SIGKILL', 'uncaught', 'rejection', 'exit', 'wedged:SIGKILL'] as const) {
  t.test(`no gdb outlives its Node parent (${mode}); target left running`, async (t) => {
    const target = await startTarget(t);
    const [childMode, signal] = mode.split(':') as [string, NodeJS.Signals | undefined];
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'support', 'attach-child.ts'), String(target.pid), childMode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const first = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const { gdbPid } = JSON.parse(first) as { gdbPid: number };
    t.equal(readProcStatus(target.pid)?.tracerPid, gdbPid, 'attached');
    if (signal) child.kill(signal);
    await exited;
    t.ok(await until(() => !isAlive(gdbPid), 10_000), `gdb ${gdbPid} gone after the parent died`);
    t.same(gdbProcesses(child.pid), [], 'no gdb child of the dead parent');
    t.ok(await until(() => fullyDetached(target.pid)), 'target untraced');
    t.not(readProcStatus(target.pid)?.state, 'T', 'target not stopped');
    await assertRunning(t, target, 'target running');
  });
}

t.test('the preamble is in effect on every gdb we open', async (t) => {
  const gdb = await openTestGdb(t);
  for (const [name, want] of [['mi-async', 'on'], ['non-stop', 'on'], ['pagination', 'off'], ['confirm', 'off'], ['language', 'c'], ['auto-load gdb-scripts', 'off']] as const) {
    t.equal(await gdbShow(gdb, name), want, `${name} ${want}`);
  }
  // Every signal passes, nostop noprint: each row of the table but gdb's own SIGTRAP.
  const rows = parseSignalTable((await interpreterExecConsole(gdb, 'info signals')).output);
  t.ok(rows.length > 100, `the whole table (${rows.length} rows)`);
  t.same(signalTableProblems(rows), [], 'every row but SIGTRAP is nostop noprint pass');
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGSTOP', 'SIG40']) {
    t.match(rows.find((r) => r.name === sig), { stop: false, print: false, pass: true }, `${sig}: nostop noprint pass`);
  }
  await t.resolves(verifySignalsPassed(gdb), 'and the check made after every attach accepts it');
});

t.test('gdb killed: its supervisor SIGCONTs a watched target left stopped, and only that one', async (t) => {
  // The hazard (a target left in group-stop after gdb died mid-interrupt) is rare and not
  // reproducible on demand, so the stopped state is made directly: SIGSTOP, no tracer.
  const watched = await startTarget(t);
  const other = await startTarget(t);
  const gdb = await MiClient.start({ log: silentLogger() });
  gdb.watchTarget(watched.pid);
  process.kill(watched.pid, 'SIGSTOP');
  process.kill(other.pid, 'SIGSTOP');
  t.teardown(() => process.kill(other.pid, 'SIGCONT'));
  t.ok(await until(() => readProcStatus(watched.pid)?.state === 'T' && readProcStatus(other.pid)?.state === 'T'), 'both stopped, untraced');
  gdb.kill('SIGKILL');
  const exit = await gdb.exited;
  t.equal(exit.signal, 'SIGKILL', 'exit status of gdb, through the supervisor');
  t.ok(await until(() => readProcStatus(watched.pid)?.state !== 'T', 3000), 'the watched target was resumed by the supervisor');
  await assertRunning(t, watched, 'and runs');
  t.equal(readProcStatus(other.pid)?.state, 'T', 'a process gdb was never pointed at is left alone');
});

t.test('a clean detach unregisters the target: the supervisor leaves it alone', async (t) => {
  const target = await startTarget(t);
  const gdb = await openGdb({ log: silentLogger() });
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  await attachInBackground(gdb, target.pid);
  await targetDetach(gdb, target.pid);
  process.kill(target.pid, 'SIGSTOP'); // stopped by someone else after we left
  t.teardown(() => process.kill(target.pid, 'SIGCONT'));
  await until(() => readProcStatus(target.pid)?.state === 'T');
  gdb.kill('SIGKILL');
  await gdb.exited;
  await sleep(700);
  t.equal(readProcStatus(target.pid)?.state, 'T', 'not resumed: it was not ours any more');
});
