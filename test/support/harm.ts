// The target-harm matrix (issue 12): for one way of reading a target (mstat --watch, the
// bridge live or consistent, over gdbserver), every signal reaches the program's own handler
// while attached, unhandled signals do what they do by default, children run untraced with
// their exit codes, an exec is noticed and read anew, and an exit (normal, panic, SIGKILL)
// is reported with no gdb left behind. Deadlines are polled and generous (a loaded 2-core CI);
// the figures go into the messages and into test-logs/harm-<way>.json for the closing table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { z } from 'zod';
import type { ConfigSchema } from '../../bridge/config-schema.ts';
import type { ServerMessage } from '../../protocol/server-messages.ts';
import { targetKey, type TargetRef } from '../../protocol/target.ts';
import { testBridge } from './bridge.ts';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { descendants } from '../../scripts/kit/process-tree.ts';
import { runMstat } from './cli.ts';
import { LOG_DIR } from './gdb.ts';
import { GoTarget, type TargetEvent } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

/** The signals of the matrix, with the numbers memhog reports (x86-64 Linux). */
export const HARM_SIGNALS: ReadonlyArray<{ name: string; signo: number }> = [
  { name: 'SIGTERM', signo: 15 },
  { name: 'SIGINT', signo: 2 },
  { name: 'SIGHUP', signo: 1 },
  { name: 'SIGQUIT', signo: 3 },
  { name: 'SIGUSR1', signo: 10 },
  { name: 'SIGUSR2', signo: 12 },
  { name: 'SIGPIPE', signo: 13 },
  { name: 'SIGALRM', signo: 14 },
  { name: 'SIGWINCH', signo: 28 },
  { name: 'SIGCHLD', signo: 17 },
  // glibc's SIGRTMIN is 34 (32 and 33 are its own); the Go runtime lets 34..64 be notified.
  { name: 'SIGRTMIN+6', signo: 40 },
];
const NOTIFY_ALL = 'TERM,INT,HUP,QUIT,USR1,USR2,PIPE,ALRM,WINCH,CHLD,40';

/** Generous for a loaded CI machine; a frozen target never answers at all. */
export const EVENT_MS = 15_000;

/** The build a harm target execs into: another toolchain, so another Go build ID. */
export function execBuild(): ReturnType<typeof fixture> {
  return fixture({ toolchain: '1.23' });
}

/** A memhog that allocates, handles its signals as `notify` says, and can exec another build. */
export async function startHarmTarget(t: { teardown(fn: () => unknown): void }, notify = NOTIFY_ALL): Promise<GoTarget> {
  const g = await GoTarget.start(fixture(), ['-heartbeat', '50ms', '-notify', notify, '-exec-into', execBuild().path]);
  t.teardown(() => g.stop());
  return g;
}

/** One way of reading a target, as the matrix drives it. */
export interface HarmWay {
  /** for titles and the results file: mstat-watch, bridge-live, … */
  name: string;
  /** Starts reading `target`; resolves once the first reading is in. */
  start(t: Test, target: GoTarget): Promise<HarmReader>;
}

export interface HarmReader {
  /** readings delivered so far */
  readings(): number;
  /** the Go build ID of the latest reading */
  buildId(): string | undefined;
  /** coded notices so far (code or message text), oldest first */
  notices(): string[];
  /** resolves with how the way reported the end of the target (e.g. `target-exited`, `exit 1: …`) */
  ended: Promise<string>;
  /** the gdb processes reading the target now (none once it ended) */
  gdbPids(): number[];
  /** stops reading; the target must be left running and untraced */
  stop(): Promise<void>;
}

type Row = { case: string; result: string };

/** Records one row of the matrix and asserts it. */
export class Matrix {
  readonly rows: Row[] = [];
  constructor(readonly way: string) {}
  add(t: Test, ok: boolean, kase: string, result: string): void {
    this.rows.push({ case: kase, result: ok ? result : `FAILED: ${result}` });
    t.ok(ok, `${this.way}: ${kase}: ${result}`);
  }
  write(): void {
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(join(LOG_DIR, `harm-${this.way}.json`), JSON.stringify(this.rows, null, 2) + '\n');
  }
}

export function traced(pid: number): boolean {
  return (readProcStatus(pid)?.tracerPid ?? 0) !== 0;
}

async function readingsGrow(r: HarmReader, by = 3, timeoutMs = EVENT_MS): Promise<boolean> {
  const from = r.readings();
  return until(() => r.readings() >= from + by, timeoutMs, 20);
}

export const signalEvent = (signo: number) => (e: TargetEvent) => e.event === 'signal' && e.signo === signo;

/** `p`, or `late` once `ms` have passed; the timer does not keep the test process alive. */
export function within<T, L>(p: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<L>((r) => {
    timer = setTimeout(() => r(late), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs the whole matrix for one way. */
export async function runHarmMatrix(t: Test, way: HarmWay): Promise<void> {
  const m = new Matrix(way.name);
  t.teardown(() => m.write());

  await t.test(`${way.name}: every signal reaches the program's handler while attached; children run untraced; exec is read anew`, async (t) => {
    const target = await startHarmTarget(t);
    const r = await way.start(t, target);
    for (const s of HARM_SIGNALS) {
      const noticesBefore = r.notices().length;
      const wasTraced = traced(target.pid);
      const got = target.next(signalEvent(s.signo), EVENT_MS);
      const t0 = performance.now();
      process.kill(target.pid, s.signo);
      const delivered = await got.then(() => true, () => false);
      const ms = performance.now() - t0;
      // What the reader reported meanwhile says why a signal found the target untraced.
      const news = r.notices().slice(noticesBefore);
      m.add(t, wasTraced && delivered, s.name, `${delivered ? `delivered to the handler in ${ms.toFixed(0)} ms` : 'NOT delivered'}${wasTraced ? ' while attached' : ' (target was not traced when sent)'}${news.length ? `; meanwhile: ${news.join(' | ')}` : ''}`);
    }
    m.add(t, await readingsGrow(r), 'readings after the signals', `${r.readings()} readings, still coming`);
    const p1 = await target.progress(1000);
    m.add(t, p1.running, 'the target runs on', p1.text);

    const tracedAtSpawn = traced(target.pid);
    const noticesBefore = r.notices().length;
    const spawned = await target.command('spawn', 30_000);
    const kids = (spawned.children ?? []) as Array<{ kind: string; want: number; exit: number; tracer: number; ran: boolean; error?: string }>;
    const bad = kids.filter((k) => !k.ran || k.tracer !== 0 || k.exit !== k.want);
    const news = r.notices().slice(noticesBefore);
    m.add(t, kids.length === 8 && bad.length === 0 && tracedAtSpawn, 'os/exec children', `${kids.length} children (sh and Go) ran untraced with exit codes ${kids.map((k) => k.exit).join(',')}${bad.length ? `; wrong: ${JSON.stringify(bad)}` : ''}${news.length ? `; meanwhile: ${news.join(' | ')}` : ''}`);
    m.add(t, await readingsGrow(r, 3, 30_000), 'readings after the children', `${r.readings()} readings, still coming`);

    const before = r.buildId();
    const ready = target.next((e) => e.event === 'ready', EVENT_MS);
    await target.command('exec');
    const again = await ready;
    const t0 = performance.now();
    const readAnew = await until(() => r.buildId() !== undefined && r.buildId() !== before, 20_000, 20);
    m.add(t, readAnew && again.goVersion === execBuild().goVersion, 'syscall.Exec', readAnew ? `noticed (${r.notices().filter((n) => /REPLACED|replaced/.test(n)).length} notice) and read the new program (${String(again.goVersion)}) ${(performance.now() - t0).toFixed(0)} ms later` : `still reading build ${r.buildId()} (notices: ${r.notices().join(' | ')})`);
    const p2 = await target.progress(1000);
    m.add(t, p2.running, 'the new program runs on', p2.text);

    await r.stop();
    m.add(t, await until(() => fullyDetached(target.pid), EVENT_MS), 'detached at the end', 'every thread untraced and running');
  });

  for (const c of [
    { signal: 'SIGTERM' as const, expect: (e: { code: number | null; signal: string | null }) => e.signal === 'SIGTERM', what: 'killed by SIGTERM' },
    { signal: 'SIGQUIT' as const, expect: (e: { code: number | null; signal: string | null }, g: GoTarget) => e.code === 2 && /SIGQUIT: quit/.test(g.stderrText) && /goroutine \d+/.test(g.stderrText), what: 'goroutine dump, exit status 2' },
  ]) {
    await t.test(`${way.name}: unhandled ${c.signal} has its default action`, async (t) => {
      const target = await startHarmTarget(t, 'none');
      const r = await way.start(t, target);
      const wasTraced = traced(target.pid);
      const t0 = performance.now();
      process.kill(target.pid, c.signal);
      const exit = await within(target.exit, EVENT_MS, undefined);
      const ok = exit !== undefined && c.expect(exit, target);
      m.add(t, wasTraced && ok, `default ${c.signal}`, exit ? `${c.what}: ${ok ? 'yes' : 'no'} (exit ${exit.code ?? exit.signal})` : 'the target did not end');
      const how = await within(r.ended, EVENT_MS, 'not reported');
      m.add(t, how !== 'not reported', `default ${c.signal}: end reported`, `${how}, ${(performance.now() - t0).toFixed(0)} ms after the signal`);
      m.add(t, await until(() => r.gdbPids().length === 0, EVENT_MS), `default ${c.signal}: no gdb left`, 'gone');
      await r.stop();
    });
  }

  for (const c of [
    { name: 'exit normally', act: (g: GoTarget) => g.send('exit') },
    { name: 'panic', act: (g: GoTarget) => g.send('panic') },
    { name: 'SIGKILL', act: (g: GoTarget) => process.kill(g.pid, 'SIGKILL') },
  ]) {
    await t.test(`${way.name}: the target exits mid-sampling (${c.name}): reported, no gdb left`, async (t) => {
      const target = await startHarmTarget(t);
      const r = await way.start(t, target);
      await readingsGrow(r, 2);
      const gdbs = r.gdbPids();
      const t0 = performance.now();
      c.act(target);
      const how = await within(r.ended, EVENT_MS, 'not reported');
      const ms = performance.now() - t0;
      m.add(t, how !== 'not reported', `exit: ${c.name}`, `${how}, ${ms.toFixed(0)} ms after`);
      const gone = await until(() => gdbs.every((p) => !isAlive(p)) && r.gdbPids().length === 0, EVENT_MS);
      m.add(t, gone, `exit: ${c.name}: no gdb left`, gone ? `gdb ${gdbs.join(',')} gone` : `gdb still there: ${gdbs.filter(isAlive).join(',')}`);
      await r.stop();
    });
  }
}

/** The bridge (in this process) with one subscription at 10 ms in `mode`. */
export function bridgeWay(name: string, mode: 'live' | 'consistent', opts: { refOf?: (g: GoTarget) => TargetRef; bridge?: Partial<z.input<typeof ConfigSchema>> } = {}): HarmWay {
  return {
    name,
    async start(t, target) {
      const bridge = await testBridge(t, opts.bridge ?? {});
      const c = await WsClient.connect(bridge, t);
      const ref = opts.refOf?.(target) ?? { pid: target.pid };
      c.send({ type: 'subscribe', id: 'h', target: ref, intervalMs: 10, mode });
      await c.next('sample', (s) => s.subscription === 'h', 60_000);
      const samples = (): Array<Extract<ServerMessage, { type: 'sample' }>> => c.received.filter((x): x is Extract<ServerMessage, { type: 'sample' }> => x.type === 'sample');
      const ended = new Promise<string>((resolve) => {
        c.ws.on('message', () => {
          const x = c.received.find((m) => m.type === 'target-exited' || (m.type === 'error' && m.final === true));
          if (x) resolve(x.type === 'error' ? `error ${x.code} (final): ${x.message}` : 'target-exited');
        });
      });
      return {
        readings: () => samples().length,
        buildId: () => samples().at(-1)?.target.buildId,
        notices: () => c.received.flatMap((x) => (x.type === 'error' ? [`${x.code}: ${x.message}`] : [])),
        ended,
        gdbPids: () => {
          const pid = bridge.manager.sessionFor(targetKey(ref))?.gdbPid;
          return pid === undefined ? [] : [pid];
        },
        stop: async () => {
          c.send({ type: 'unsubscribe', id: 'h' });
          await bridge.close();
        },
      };
    },
  };
}

/** `mstat --pid P --watch --interval 10ms` as a real subprocess. */
export function mstatWatchWay(): HarmWay {
  return {
    name: 'mstat-watch',
    async start(t, target) {
      let lines = 0;
      let mstatPid = 0;
      const stderr: string[] = [];
      const run = runMstat(['--pid', String(target.pid), '--watch', '--interval', '10ms'], {
        timeoutMs: 180_000,
        onStdoutLine: (_l, pid) => {
          mstatPid = pid;
          lines++;
        },
        onStderrLine: (l, pid) => {
          mstatPid = pid;
          stderr.push(l);
        },
      });
      t.teardown(async () => {
        try {
          if (mstatPid) process.kill(mstatPid, 'SIGKILL');
        } catch {
          /* ended already */
        }
        await run;
      });
      const first = await until(() => lines > 0, 60_000, 10);
      if (!first) throw new Error(`mstat --watch gave no reading within 60 s: ${stderr.join(' | ')}`);
      const ended = run.then((r) => `mstat exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
      return {
        readings: () => lines,
        // The lines carry no build ID: the program read is the one the last re-attach notice names.
        buildId: () => [...stderr].reverse().find((l) => /now reading/.test(l)) ?? 'the first program',
        notices: () => stderr.filter((l) => l.startsWith('mstat:')),
        ended,
        gdbPids: () => (mstatPid ? descendants(mstatPid).filter((p) => p.comm === 'gdb').map((p) => p.pid) : []),
        stop: async () => {
          try {
            process.kill(mstatPid, 'SIGINT');
          } catch {
            /* ended already */
          }
          await run;
        },
      };
    },
  };
}
