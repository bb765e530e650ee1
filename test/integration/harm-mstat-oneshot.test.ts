// Target-harm matrix for the `mstat --pid P` one-shot: it is attached for a moment only, so
// each case starts a one-shot, waits until its gdb traces the target, and acts then (a case
// whose act came after the detach is run again). Every signal reaches the handler, unhandled
// ones do their default, children run untraced, an exec or an exit during the read ends the
// one-shot with a reading or one coded line, and nothing is left behind.
import t, { type Test } from 'tap';
import { runMstat, type CliResult } from '../support/cli.ts';
import { descendants } from '../../scripts/kit/process-tree.ts';
import { EVENT_MS, execBuild, HARM_SIGNALS, Matrix, signalEvent, startHarmTarget, traced, within } from '../support/harm.ts';
import type { GoTarget } from '../../scripts/kit/go-target.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { until } from '../../scripts/kit/time.ts';

t.setTimeout(600_000);
const m = new Matrix('mstat-oneshot');
t.teardown(() => m.write());

interface OneShot {
  /** the act ran while the one-shot's gdb traced the target */
  attached: boolean;
  result: CliResult;
  gdbs: number[];
}

/**
 * Runs `mstat --pid P` and calls `act` the moment the target is traced. Tries again (up to
 * 8 runs) when the act could not be made while attached: the one-shot is short.
 */
async function whileOneShotAttached(target: GoTarget, act: () => void | Promise<void>, args: string[] = []): Promise<OneShot> {
  let last: OneShot | undefined;
  for (let run = 1; run <= 8; run++) {
    let mstatPid = 0;
    const result = runMstat(['--pid', String(target.pid), ...args], { timeoutMs: 60_000, onStderrLine: (_l, pid) => (mstatPid = pid), onStdoutLine: (_l, pid) => (mstatPid = pid) });
    let done = false;
    void result.then(() => (done = true));
    await until(() => done || traced(target.pid), 60_000, 1);
    const gdbs = mstatPid ? descendants(mstatPid).filter((p) => p.comm === 'gdb').map((p) => p.pid) : [];
    const before = traced(target.pid);
    if (before) await act();
    // Still traced after the act, or the act ended the target (then tracing ended with it).
    const attached = before && (traced(target.pid) || !isAlive(target.pid));
    last = { attached, result: await result, gdbs };
    if (attached || !isAlive(target.pid)) return last;
  }
  return last!;
}

const tail = (r: CliResult): string => `exit ${r.code ?? r.signal}${r.code === 0 ? '' : `: ${r.stderr.trim().split('\n').at(-1) ?? ''}`}`;

t.test('mstat-oneshot: every signal reaches the handler while the one-shot is attached', async (t: Test) => {
  const target = await startHarmTarget(t);
  for (const s of HARM_SIGNALS) {
    let got: Promise<boolean> | undefined;
    const o = await whileOneShotAttached(target, () => {
      got = target.next(signalEvent(s.signo), EVENT_MS).then(() => true, () => false);
      process.kill(target.pid, s.signo);
    });
    const delivered = (await got) ?? false;
    m.add(t, o.attached && delivered && o.result.code === 0, s.name, `${delivered ? 'delivered to the handler' : 'NOT delivered'}${o.attached ? ' while attached' : ' (never sent while attached)'}; mstat ${tail(o.result)}`);
  }
  m.add(t, await until(() => fullyDetached(target.pid), EVENT_MS), 'left alone after the runs', 'every thread untraced and running');
});

t.test('mstat-oneshot: children run untraced; an exec during the read', async (t: Test) => {
  const target = await startHarmTarget(t);
  let spawned: Promise<Record<string, unknown>> | undefined;
  const o = await whileOneShotAttached(target, () => {
    spawned = target.command('spawn', 30_000);
  });
  const kids = ((await spawned)?.children ?? []) as Array<{ want: number; exit: number; tracer: number; ran: boolean }>;
  const bad = kids.filter((k) => !k.ran || k.tracer !== 0 || k.exit !== k.want);
  m.add(t, o.attached && kids.length === 8 && bad.length === 0, 'os/exec children', `${kids.length} children ran untraced with exit codes ${kids.map((k) => k.exit).join(',')}; mstat ${tail(o.result)}`);

  let ready: Promise<unknown> | undefined;
  const e = await whileOneShotAttached(target, () => {
    ready = target.next((ev) => ev.event === 'ready', EVENT_MS);
    target.send('exec');
  });
  const again = (await ready) as { goVersion?: string } | undefined;
  // A reading of either program (the read came before the exec, or was made anew after it),
  // or one coded line: never a hang, never a reading made of two programs.
  const ok = e.attached && again?.goVersion === execBuild().goVersion && (e.result.code === 0 || /replaced its program/.test(e.result.stderr));
  m.add(t, ok, 'syscall.Exec', `the new program (${again?.goVersion}) runs; mstat ${tail(e.result)}${/now reading/.test(e.result.stderr) ? ' after reading it anew' : ''}`);
  m.add(t, await until(() => fullyDetached(target.pid), EVENT_MS), 'left alone after exec', 'every thread untraced and running');
});

for (const c of [
  { signal: 'SIGTERM' as const, ok: (x: { code: number | null; signal: string | null }, _g: GoTarget) => x.signal === 'SIGTERM', what: 'killed by SIGTERM' },
  { signal: 'SIGQUIT' as const, ok: (x: { code: number | null; signal: string | null }, g: GoTarget) => x.code === 2 && /SIGQUIT: quit/.test(g.stderrText), what: 'goroutine dump, exit status 2' },
]) {
  t.test(`mstat-oneshot: unhandled ${c.signal} has its default action`, async (t: Test) => {
    const target = await startHarmTarget(t, 'none');
    const o = await whileOneShotAttached(target, () => void process.kill(target.pid, c.signal));
    const exit = await within(target.exit, EVENT_MS, undefined);
    m.add(t, o.attached && exit !== undefined && c.ok(exit, target), `default ${c.signal}`, `${c.what}: ${exit ? `exit ${exit.code ?? exit.signal}` : 'did not end'}; mstat ${tail(o.result)}`);
    m.add(t, o.gdbs.every((p) => !isAlive(p)), `default ${c.signal}: no gdb left`, o.gdbs.length ? `gdb ${o.gdbs.join(',')} gone` : 'gone');
  });
}

for (const c of [
  { name: 'exit normally', act: (g: GoTarget) => g.send('exit') },
  { name: 'panic', act: (g: GoTarget) => g.send('panic') },
  { name: 'SIGKILL', act: (g: GoTarget) => void process.kill(g.pid, 'SIGKILL') },
]) {
  t.test(`mstat-oneshot: the target exits during the read (${c.name})`, async (t: Test) => {
    const target = await startHarmTarget(t);
    const o = await whileOneShotAttached(target, () => c.act(target));
    const exited = (await within(target.exit, EVENT_MS, undefined)) !== undefined;
    // Either the reading came first, or the one line says the process exited.
    const ok = o.attached && exited && (o.result.code === 0 || /has exited|exited/.test(o.result.stderr)) && !o.result.timedOut;
    m.add(t, ok, `exit: ${c.name}`, `mstat ${tail(o.result)} in ${o.result.ms.toFixed(0)} ms`);
    m.add(t, await until(() => o.gdbs.every((p) => !isAlive(p)), EVENT_MS), `exit: ${c.name}: no gdb left`, o.gdbs.length ? `gdb ${o.gdbs.join(',')} gone` : 'gone');
  });
}
