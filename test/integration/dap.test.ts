// The VS Code debug adapter (clients/dap) end to end: DebugClient from
// @vscode/debugadapter-testsupport against the adapter as a real subprocess, in stdio mode
// (started by DebugClient through clients/dap/bin.js, as VS Code starts it, from a foreign cwd)
// and in --server mode; real bridges (a private one the adapter starts, or the test bridge),
// real gdb and a real Go fixture.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import t from 'tap';
import WebSocket from 'ws';
import { BridgeClient, type WebSocketCtor } from '../../clients/shared/bridge-client.ts';
import { formatGoFloat, formatMemStatsJson } from '../../clients/shared/memstats-format.ts';
import { MEMSTATS_U64_FIELDS, type MemStats } from '../../protocol/memstats.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { testBridge } from '../support/bridge.ts';
import { cliEnv, deadPid, REPO_ROOT } from '../support/cli.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { fullyDetached, isAlive } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { sleep, until } from '../../scripts/kit/time.ts';

type Tap = { teardown(fn: () => unknown): void };

const BIN = join(REPO_ROOT, 'clients', 'dap', 'bin.js');
const MAIN = join(REPO_ROOT, 'clients', 'dap', 'main.ts');
const WS = WebSocket as unknown as WebSocketCtor;
const SCOPES = ['General', 'Heap', 'Stacks', 'Off-heap', 'GC', 'BySize', 'Sample'];
/** initialize arguments of a client that, like VS Code, handles InvalidatedEvent */
const INIT: DebugProtocol.InitializeRequestArguments = { adapterID: 'mstat', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsInvalidatedEvent: true };

/** A request or wait that must finish in time (DebugClient's requests never time out). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(timer), resolve(v)), (e: unknown) => (clearTimeout(timer), reject(e)));
  });
}

/** Every event the adapter sent, in order, for assertions after the fact. */
class Events {
  readonly all: DebugProtocol.Event[] = [];
  constructor(dc: DebugClient) {
    for (const name of ['output', 'stopped', 'invalidated', 'terminated', 'initialized']) dc.on(name, (e: DebugProtocol.Event) => this.all.push(e));
  }
  of(name: string, from = 0): DebugProtocol.Event[] {
    return this.all.slice(from).filter((e) => e.event === name);
  }
  output(re: RegExp, from = 0): string[] {
    return this.of('output', from).map((e) => String((e as DebugProtocol.OutputEvent).body.output)).filter((o) => re.test(o));
  }
  async wait<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
    const v = await until(fn, ms, 20);
    if (v === undefined || v === false) throw new Error(`${what}: not seen within ${ms} ms; events: ${this.all.map((e) => e.event).join(',')}`);
    return v;
  }
}

/**
 * Checks that a byte stream is nothing but DAP frames (`Content-Length: N\r\n\r\n` + N bytes):
 * in stdio mode a single stray byte (a log line) on stdout would break the client.
 */
class FrameCheck {
  private buf = Buffer.alloc(0);
  frames = 0;
  garbage: string[] = [];
  push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /^Content-Length: (\d+)$/.exec(this.buf.subarray(0, end).toString('latin1'));
      if (!m) {
        this.garbage.push(this.buf.subarray(0, end).toString('utf8').slice(0, 200));
        this.buf = this.buf.subarray(end + 4);
        continue;
      }
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      try {
        JSON.parse(this.buf.subarray(end + 4, end + 4 + len).toString('utf8'));
        this.frames++;
      } catch {
        this.garbage.push(`a frame that is not JSON: ${this.buf.subarray(end + 4, end + 4 + len).toString('utf8').slice(0, 200)}`);
      }
      this.buf = this.buf.subarray(end + 4 + len);
    }
  }
  get rest(): number {
    return this.buf.length;
  }
}

interface StdioAdapter {
  dc: DebugClient;
  events: Events;
  proc: ChildProcess;
  frames: FrameCheck;
  stderr: () => string;
}

/** The adapter as VS Code runs it: `node clients/dap/bin.js`, over stdio, from another cwd. */
async function stdioAdapter(t: Tap): Promise<StdioAdapter> {
  const dc = new DebugClient('node', BIN, 'mstat', { cwd: tmpdir(), env: cliEnv({ MSTAT_LOG_LEVEL: 'debug' }) });
  const events = new Events(dc);
  await dc.start();
  // DebugClient keeps its child private; we need its pid and a copy of what it writes.
  const proc = (dc as unknown as { _adapterProcess: ChildProcess })._adapterProcess;
  const frames = new FrameCheck();
  proc.stdout!.on('data', (d: Buffer) => frames.push(d));
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  t.teardown(() => proc.kill('SIGKILL'));
  return { dc, events, proc, frames, stderr: () => stderr };
}

interface ServerAdapter {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
}

/** `node --import tsx clients/dap/main.ts --server=0`: the port comes from its stderr line. */
async function serverAdapter(t: Tap): Promise<ServerAdapter> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--server=0'], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stderr }).on('line', (l) => {
        const m = /waiting for debug protocol on 127\.0\.0\.1:(\d+)/.exec(l);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (c) => reject(new Error(`adapter exited (${c}): ${stderr}`)));
    }),
    20_000,
    'adapter --server listening',
  );
  return { child, port, stdout: () => stdout, stderr: () => stderr };
}

async function connectServer(t: Tap, port: number): Promise<{ dc: DebugClient; events: Events }> {
  const dc = new DebugClient('node', MAIN, 'mstat');
  const events = new Events(dc);
  await dc.start(port);
  t.teardown(() => dc.stop());
  return { dc, events };
}

async function startTarget(t: Tap): Promise<GoTarget> {
  const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
  t.teardown(() => go.stop());
  return go;
}

/** Every worker parked, nothing left for the scavenger: the numbers stop moving. */
async function quiet(go: GoTarget): Promise<void> {
  await go.command('gc');
  await go.command('pause');
  await go.command('freeos');
  await go.command('burst');
}

/** Our own reading through the client library: the first of three identical consecutive samples. */
async function referenceSample(url: string, token: string, pid: number): Promise<SampleMessage> {
  const client = await BridgeClient.connect({ url, token, WebSocket: WS });
  try {
    const sub = client.subscribe({ pid }, { intervalMs: 100 });
    let prev = '';
    let same = 0;
    let first: SampleMessage | undefined;
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const s = await sub.next();
      if (!s) throw new Error('reference subscription ended');
      const k = formatMemStatsJson(s.memstats);
      if (k === prev && s.meta.torn.length === 0) same++;
      else {
        same = 1;
        first = s;
      }
      prev = k;
      if (same >= 3 && first) return first;
    }
    throw new Error('the target did not go quiet within 15 s');
  } finally {
    await client.close();
  }
}

/** The value's exact part: the text before the human hint. */
const exact = (v: string): string => v.replace(/ \(.*\)$/s, '');

async function variables(dc: DebugClient, ref: number): Promise<DebugProtocol.Variable[]> {
  return (await within(dc.variablesRequest({ variablesReference: ref }), 10_000, 'variables')).body.variables;
}

/** The whole tree the Variables view would show: scope → name → variable. */
async function tree(dc: DebugClient): Promise<Map<string, Map<string, DebugProtocol.Variable>>> {
  const threads = (await within(dc.threadsRequest(), 10_000, 'threads')).body.threads;
  const frames = (await within(dc.stackTraceRequest({ threadId: threads[0]!.id }), 10_000, 'stackTrace')).body.stackFrames;
  const scopes = (await within(dc.scopesRequest({ frameId: frames[0]!.id }), 10_000, 'scopes')).body.scopes;
  const out = new Map<string, Map<string, DebugProtocol.Variable>>();
  for (const s of scopes) out.set(s.name, new Map((await variables(dc, s.variablesReference)).map((v) => [v.name, v])));
  return out;
}

/** Differences between the tree's values and a MemStats (empty: every value exact). */
async function diffTree(dc: DebugClient, tr: Map<string, Map<string, DebugProtocol.Variable>>, m: MemStats): Promise<string[]> {
  const diffs: string[] = [];
  const check = (what: string, got: string | undefined, want: string): void => {
    if (got === undefined || exact(got) !== want) diffs.push(`${what}: ${got} ≠ ${want}`);
  };
  const scalarScopes = ['General', 'Heap', 'Stacks', 'Off-heap', 'GC'];
  const seen = new Set<string>();
  for (const scope of scalarScopes) {
    for (const [name, v] of tr.get(scope) ?? []) {
      if ((MEMSTATS_U64_FIELDS as readonly string[]).includes(name)) {
        check(`${scope}.${name}`, v.value, m[name as (typeof MEMSTATS_U64_FIELDS)[number]].toString());
        seen.add(name);
      }
    }
  }
  for (const f of MEMSTATS_U64_FIELDS) if (!seen.has(f)) diffs.push(`${f} not shown`);
  const gc = tr.get('GC')!;
  check('NumGC', gc.get('NumGC')?.value, String(m.NumGC));
  check('NumForcedGC', gc.get('NumForcedGC')?.value, String(m.NumForcedGC));
  check('GCCPUFraction', gc.get('GCCPUFraction')?.value, formatGoFloat(m.GCCPUFraction));
  check('EnableGC', gc.get('EnableGC')?.value, String(m.EnableGC));
  check('DebugGC', gc.get('DebugGC')?.value, String(m.DebugGC));
  const ring = await variables(dc, gc.get('PauseNs')!.variablesReference);
  if (ring.length !== 256) diffs.push(`PauseNs has ${ring.length} entries`);
  ring.forEach((v, i) => check(`PauseNs[${i}]`, v.value, m.PauseNs[i]!.toString()));
  const recent = await variables(dc, gc.get('recent pauses')!.variablesReference);
  if (recent.length !== Math.min(m.NumGC, 256)) diffs.push(`${recent.length} recent pauses for NumGC ${m.NumGC}`);
  for (const v of recent) {
    const k = Number(/PauseNs\[(\d+)\]/.exec(v.name)?.[1]);
    check(v.name, v.value, m.PauseNs[k]!.toString());
  }
  const bySize = [...tr.get('BySize')!.values()];
  if (bySize.length !== 61) diffs.push(`BySize has ${bySize.length} entries`);
  for (const [i, e] of bySize.entries()) {
    const kids = new Map((await variables(dc, e.variablesReference)).map((v) => [v.name, v.value]));
    const want = m.BySize[i]!;
    check(`BySize[${i}].Size`, kids.get('Size'), String(want.Size));
    check(`BySize[${i}].Mallocs`, kids.get('Mallocs'), want.Mallocs.toString());
    check(`BySize[${i}].Frees`, kids.get('Frees'), want.Frees.toString());
    check(`BySize[${i}].Live`, kids.get('Live'), (want.Mallocs - want.Frees).toString());
  }
  return diffs;
}

function ppidOf(pid: number): number {
  try {
    return Number(/^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------

t.test('stdio, private bridge, consistent mode: capabilities, tree, refresh, console, evaluate, errors, disconnect', async (t) => {
  const go = await startTarget(t);
  const a = await stdioAdapter(t);
  const { dc, events } = a;

  const init = await within(dc.initializeRequest(INIT), 10_000, 'initialize');
  t.equal(init.body?.supportsConfigurationDoneRequest, true, 'configurationDone supported');
  t.equal(init.body?.supportTerminateDebuggee, false, 'never terminates the target');
  t.equal(init.body?.supportsEvaluateForHovers, true);
  await events.wait('initialized event', () => events.of('initialized').length > 0);

  // A bad configuration and a dead pid are error responses; the adapter stays usable.
  await t.rejects(within(dc.attachRequest({ pid: 'abc' } as DebugProtocol.AttachRequestArguments), 10_000, 'attach'), /invalid attach configuration: pid/);
  const dead = await deadPid();
  await t.rejects(
    within(dc.attachRequest({ pid: dead } as DebugProtocol.AttachRequestArguments), 30_000, 'attach dead'),
    new RegExp(`cannot attach to pid ${dead}: no process with PID ${dead}.*\\[NO_SUCH_PROCESS\\]`),
  );
  t.ok(await until(() => !/bridge\/main\.ts/.test(childrenCmdlines(a.proc.pid!)), 5000), 'the failed attach left no private bridge behind');

  const attachArgs = { pid: go.pid, mode: 'consistent', intervalMs: 100, refreshMs: 200, summaryMs: 0 };
  await within(dc.attachRequest(attachArgs as DebugProtocol.AttachRequestArguments), 30_000, 'attach');
  await within(dc.configurationDoneRequest(), 10_000, 'configurationDone');
  const attached = await events.wait('attach line', () => events.output(/^attached to pid/)[0]);
  const bridgePid = Number(/private bridge \(pid (\d+), ws:\/\/127\.0\.0\.1:\d+\)/.exec(attached)?.[1]);
  t.match(attached, new RegExp(`^attached to pid ${go.pid} \\(go1\\.\\d+.*\\) through a private bridge .*: consistent samples every 100 ms`));
  t.ok(bridgePid > 0 && isAlive(bridgePid), `private bridge pid ${bridgePid} running`);
  t.equal(ppidOf(bridgePid), a.proc.pid, 'the private bridge is the adapter\'s child');
  t.match(cmdlineOf(bridgePid), new RegExp(String.raw`--import tsx \S+\/bridge\/main\.ts --listen=127\.0\.0\.1:0 --token=[0-9a-f]{48} --allow-pids=${go.pid}\b`), 'started through its command line: loopback, a token, only this pid');
  t.equal(readProcStatus(go.pid)?.tracerPid !== 0, true, 'gdb traces the target');

  const stopped = (await events.wait('stopped', () => events.of('stopped')[0])) as DebugProtocol.StoppedEvent;
  t.equal(stopped.body.reason, 'entry');
  t.equal(stopped.body.threadId, 1);

  const threads = (await within(dc.threadsRequest(), 10_000, 'threads')).body.threads;
  t.same(threads, [{ id: 1, name: `MemStats of pid ${go.pid}` }], 'one pseudo-thread');
  const frames = (await within(dc.stackTraceRequest({ threadId: 1 }), 10_000, 'stackTrace')).body.stackFrames;
  t.equal(frames.length, 1);
  t.match(frames[0]!.name, new RegExp(`^MemStats of pid ${go.pid} \\(go1\\.`));
  const scopes = (await within(dc.scopesRequest({ frameId: frames[0]!.id }), 10_000, 'scopes')).body.scopes;
  t.same(scopes.map((s) => s.name), SCOPES, 'scope names');
  t.equal(scopes.find((s) => s.name === 'BySize')?.expensive, true, 'BySize is fetched when opened');

  const tr = await tree(dc);
  t.same([...tr.get('General')!.keys()], ['Alloc', 'TotalAlloc', 'Sys', 'Lookups', 'Mallocs', 'Frees']);
  t.same([...tr.get('Heap')!.keys()], ['HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'HeapObjects', 'NextGC']);
  t.same([...tr.get('Stacks')!.keys()], ['StackInuse', 'StackSys']);
  t.same([...tr.get('Off-heap')!.keys()], ['MSpanInuse', 'MSpanSys', 'MCacheInuse', 'MCacheSys', 'BuckHashSys', 'GCSys', 'OtherSys']);
  t.same([...tr.get('GC')!.keys()], ['NextGC', 'LastGC', 'PauseTotalNs', 'NumGC', 'NumForcedGC', 'GCCPUFraction', 'EnableGC', 'DebugGC', 'recent pauses', 'PauseNs', 'PauseEnd']);
  t.equal(tr.get('BySize')!.size, 61, '61 size classes');
  t.match(tr.get('Heap')!.get('HeapAlloc')!.value, /^\d+ \(\d+(\.\d+)? (B|KiB|MiB|GiB)\)$/, 'exact bytes with a human hint');
  t.match(tr.get('General')!.get('Sys')!.evaluateName, 'Sys');
  const sample = tr.get('Sample')!;
  t.equal(sample.get('mode')?.value, 'consistent');
  t.match(sample.get('pauseNs')?.value, /^[1-9]\d* \(/, 'consistent mode: the pause is reported');
  t.match(sample.get('readNs')?.value, /^[1-9]\d* \(/, 'read cost');
  t.match(sample.get('exact')?.value, /^(true|false)/);
  t.equal(sample.get('target')?.value, `pid ${go.pid}, ${/\((go1\.[^)]+)\)/.exec(frames[0]!.name)?.[1]}`);

  // New samples: throttled InvalidatedEvents and refetched values from newer samples.
  const mark = events.all.length;
  const seqBefore = Number(sample.get('seq')!.value);
  await sleep(1500);
  const inval = events.of('invalidated', mark);
  const summaries = events.output(/^pid \d+ #\d+ /, mark);
  t.ok(inval.length >= 3, `${inval.length} InvalidatedEvents in 1.5 s`);
  t.ok(inval.length <= 9, `throttled to one per 200 ms (${inval.length} for ${summaries.length} samples)`);
  t.same((inval[0] as DebugProtocol.InvalidatedEvent).body.areas, ['variables']);
  t.ok(summaries.length >= 5, `${summaries.length} console summaries in 1.5 s`);
  t.match(summaries[0], new RegExp(`^pid ${go.pid} #\\d+ \\d\\d:\\d\\d:\\d\\d\\.\\d{3}  HeapAlloc \\S+ \\S+  Sys .*consistent (exact|estimated|torn).*read .*paused`));
  const seqs = summaries.map((l) => Number(/#(\d+)/.exec(l)?.[1]));
  t.ok(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1), `summaryMs 0: one line for every sample (seqs ${seqs.join(',')})`);
  t.equal(events.of('output', mark).every((e) => (e as DebugProtocol.OutputEvent).body.category === 'console'), true, "category 'console'");
  const after = await tree(dc);
  t.ok(Number(after.get('Sample')!.get('seq')!.value) > seqBefore, 'after an invalidation the view shows a newer sample');

  // Continue refreshes on demand: the pseudo-thread stops again at once.
  const m2 = events.all.length;
  await within(dc.continueRequest({ threadId: 1 }), 10_000, 'continue');
  const again = (await events.wait('stopped after continue', () => events.of('stopped', m2)[0])) as DebugProtocol.StoppedEvent;
  t.equal(again.body.reason, 'pause');

  // evaluate: values of the shown tree; unknown names are error responses.
  const heap = await within(dc.evaluateRequest({ expression: 'HeapAlloc', context: 'repl' }), 10_000, 'evaluate');
  t.match(heap.body.result, /^\d+ \(/, 'HeapAlloc with its hint');
  t.equal(heap.body.variablesReference, 0);
  const clip = await within(dc.evaluateRequest({ expression: 'BySize[3].Mallocs', context: 'clipboard' }), 10_000, 'evaluate');
  t.match(clip.body.result, /^\d+$/, 'clipboard: the exact number alone');
  const p0 = await within(dc.evaluateRequest({ expression: ' PauseNs[0] ', context: 'watch' }), 10_000, 'evaluate');
  t.match(p0.body.result, /^\d+/);
  const bs = await within(dc.evaluateRequest({ expression: 'BySize[3]', context: 'repl' }), 10_000, 'evaluate');
  t.ok(bs.body.variablesReference > 0, 'an aggregate can be expanded');
  t.same((await variables(dc, bs.body.variablesReference)).map((v) => v.name), ['Size', 'Mallocs', 'Frees', 'Live']);
  await t.rejects(within(dc.evaluateRequest({ expression: 'HeapAllocs', context: 'repl' }), 10_000, 'evaluate'), /'HeapAllocs' is not a MemStats field/);

  // Disconnect: detached, the private bridge gone, the target running, the adapter exited.
  const adapterExit = new Promise((r) => a.proc.once('exit', r));
  await within(dc.disconnectRequest({}), 15_000, 'disconnect');
  t.notOk(isAlive(bridgePid), 'the private bridge stopped before the disconnect was answered');
  t.ok(await until(() => fullyDetached(go.pid), 5000), 'no tracer left on the target');
  t.ok(isAlive(go.pid), 'target still running');
  t.ok(/^[RS]/.test(readProcStatus(go.pid)?.state ?? ''), `target state ${readProcStatus(go.pid)?.state}`);
  t.equal((await go.command('resume')).event, 'resumed', 'target still answers');
  await within(adapterExit, 5000, 'adapter exit after disconnect');

  t.same(a.frames.garbage, [], 'stdout carried nothing but DAP frames');
  t.equal(a.frames.rest, 0, 'no partial frame left on stdout');
  t.ok(a.frames.frames > 20, `${a.frames.frames} frames`);
  t.match(a.stderr(), /"name":"mstat-dap"/, 'logs went to stderr');
});

function childrenCmdlines(ppid: number): string {
  try {
    const kids = readFileSync(`/proc/${ppid}/task/${ppid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.map((k) => cmdlineOf(Number(k))).join('\n');
  } catch {
    return '';
  }
}

t.test('--server mode with a given bridge: exact values on a quiet target, token, target exit', async (t) => {
  const go = await startTarget(t);
  await quiet(go);
  const TOKEN = 'dap-test-token';
  const bridge = await testBridge(t, { token: TOKEN });
  const url = `ws://127.0.0.1:${bridge.address.port}`;
  const server = await serverAdapter(t);

  // Session 1: a wrong token is an error response with the client's code.
  {
    const { dc } = await connectServer(t, server.port);
    await within(dc.initializeRequest(INIT), 10_000, 'initialize');
    await t.rejects(within(dc.attachRequest({ pid: go.pid, bridge: url, token: 'wrong-token' } as DebugProtocol.AttachRequestArguments), 20_000, 'attach'), /cannot attach to pid \d+: cannot connect to .*\[CONNECT_FAILED\]/);
    await within(dc.disconnectRequest({}), 10_000, 'disconnect');
  }

  // Session 2 on the same server: the real thing.
  const { dc, events } = await connectServer(t, server.port);
  await within(dc.initializeRequest(INIT), 10_000, 'initialize');
  await within(dc.attachRequest({ pid: String(go.pid), bridge: url, token: TOKEN, intervalMs: 100, refreshMs: 0, summaryMs: 500 } as unknown as DebugProtocol.AttachRequestArguments), 30_000, 'attach');
  await within(dc.configurationDoneRequest(), 10_000, 'configurationDone');
  const attached = await events.wait('attach line', () => events.output(/^attached to pid/)[0]);
  t.match(attached, new RegExp(`through ${url.replace(/\./g, '\\.')}: live samples every 100 ms`), 'the given bridge, live mode by default');
  await events.wait('stopped', () => events.of('stopped')[0]);

  // Exactness through the adapter: the tree equals our own reading of the quiet target.
  // Background runtime work can still move a field between two readings: up to three rounds.
  let diffs: string[] = [];
  let ref: SampleMessage | undefined;
  for (let round = 0; round < 3; round++) {
    ref = await referenceSample(url, TOKEN, go.pid);
    const m = events.all.length;
    await within(dc.continueRequest({ threadId: 1 }), 10_000, 'continue');
    await events.wait('stopped', () => events.of('stopped', m)[0]);
    diffs = await diffTree(dc, await tree(dc), ref.memstats);
    if (diffs.length === 0) break;
  }
  t.same(diffs, [], 'every value in the tree equals the client library\'s sample');
  const ms = ref!.memstats;
  const latestPause = (ms.NumGC + 255) % 256;
  const evaluate = async (expression: string): Promise<string> => (await within(dc.evaluateRequest({ expression, context: 'clipboard' }), 10_000, 'evaluate')).body.result;
  t.equal(await evaluate('HeapAlloc'), ms.HeapAlloc.toString(), 'evaluate HeapAlloc');
  t.equal(await evaluate('BySize[3].Mallocs'), ms.BySize[3]!.Mallocs.toString(), 'evaluate BySize[3].Mallocs');
  t.equal(await evaluate(`PauseNs[${latestPause}]`), ms.PauseNs[latestPause]!.toString(), 'evaluate the latest PauseNs');
  t.equal(await evaluate('NumGC'), String(ms.NumGC), 'evaluate NumGC');
  t.equal(await evaluate('GCCPUFraction'), formatGoFloat(ms.GCCPUFraction), 'evaluate GCCPUFraction (Go\'s float formatting)');

  // refreshMs 0: an InvalidatedEvent per sample; summaryMs 500: about two lines a second.
  const mark = events.all.length;
  await sleep(1200);
  const inval = events.of('invalidated', mark).length;
  const lines = events.output(/^pid \d+ #\d+ /, mark).length;
  t.ok(inval >= 4, `refreshMs 0: ${inval} InvalidatedEvents in 1.2 s at 100 ms`);
  t.ok(lines >= 1 && lines <= 4, `${lines} summary lines in 1.2 s at summaryMs 500`);

  // The target exits: a console line, then TerminatedEvent.
  await go.command('exit');
  await events.wait('terminated', () => events.of('terminated')[0]);
  t.ok(events.output(new RegExp(`^target pid ${go.pid} exited`)).length === 1, 'exit reported in the console');
  await within(dc.disconnectRequest({}), 10_000, 'disconnect');
  t.ok(server.child.exitCode === null, 'the server outlives its sessions');
  t.equal(server.stdout(), '', 'nothing on stdout in server mode');
});

t.test('the adapter killed outright: its private bridge follows and the target is released', async (t) => {
  const go = await startTarget(t);
  const a = await stdioAdapter(t);
  await within(a.dc.initializeRequest(INIT), 10_000, 'initialize');
  await within(a.dc.attachRequest({ pid: go.pid, intervalMs: 200 } as DebugProtocol.AttachRequestArguments), 30_000, 'attach');
  const attached = await a.events.wait('attach line', () => a.events.output(/^attached to pid/)[0]);
  const bridgePid = Number(/private bridge \(pid (\d+)/.exec(attached)?.[1]);
  t.ok(bridgePid > 0 && isAlive(bridgePid));
  a.proc.kill('SIGKILL');
  t.ok(await until(() => !isAlive(bridgePid), 10_000), 'the private bridge exited with its parent (parent-death signal)');
  t.ok(await until(() => fullyDetached(go.pid), 10_000), 'the target has no tracer');
  t.equal((await go.command('resume')).event, 'resumed', 'the target runs and answers');
});
