// The MI channel without gdb, over an in-memory stream: framing (lines cut anywhere, a last
// line without its newline), tokens (replies out of order, tokenless results, late replies
// after a timeout), output attribution, async records, and how the channel ends. Recorded gdb
// 13 transcripts are replayed through it in chunks of every size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../bridge/log.ts';
import { MiChannel, type MiReply } from '../../bridge/mi/channel.ts';
import { readCString } from '../../bridge/mi/cstring.ts';
import { MiError } from '../../bridge/mi/errors.ts';
import { CliText, rawArg, type MiArg } from '../../bridge/mi/escape.ts';
import type { MiAsyncRecord, MiRecord } from '../../bridge/mi/records.ts';
import { chunked, MemoryMiStream } from '../support/mi-memory-stream.ts';

function open(timeoutMs = 5000): { stream: MemoryMiStream; channel: MiChannel } {
  const stream = new MemoryMiStream();
  return { stream, channel: new MiChannel(stream, { log: silentLogger(), timeoutMs }) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('commands sent in one turn go out in one write, each with its own token', async (t) => {
  const { stream, channel } = open();
  const a = channel.send('-gdb-show', [rawArg('language')]);
  const b = channel.send('-data-evaluate-expression', ['1 + "x"']);
  await tick();
  t.equal(stream.writes.length, 1, 'one write for the batch');
  t.same(stream.lines, ['1-gdb-show language', '2-data-evaluate-expression "1 + \\"x\\""'], 'tokens 1 and 2; the string argument quoted');
  stream.push('2^done,value="2"\n1^done,value="c"\n');
  t.equal((await a).record.results.value, 'c', 'replies out of order reach their own commands');
  t.equal((await b).record.results.value, '2');
});

t.test('a line cut at every position is read as one record', async (t) => {
  const line = '1^done,value="caf\u00e9 \\"quoted\\""\n';
  for (let cut = 1; cut < line.length; cut++) {
    const { stream, channel } = open();
    const reply = channel.send('-gdb-show', [rawArg('x')]);
    await tick();
    stream.push(line.slice(0, cut), line.slice(cut));
    t.equal((await reply).record.results.value, 'caf\u00e9 "quoted"', `cut at ${cut}`);
  }
});

t.test('a megabyte line in 4 KiB chunks is joined once and parsed whole', async (t) => {
  const { stream, channel } = open();
  const hex = 'ab'.repeat(512 * 1024);
  const reply = channel.send('-data-read-memory-bytes', [rawArg('0x1000'), rawArg(hex.length / 2)]);
  await tick();
  stream.push(...chunked(`1^done,memory=[{begin="0x1000",offset="0x0",end="0x81000",contents="${hex}"}]\n`, () => 4096));
  const memory = (await reply).record.results.memory as Array<{ contents: string }>;
  t.equal(memory[0]!.contents.length, hex.length);
});

t.test('console and log output belong to the oldest pending command; thread notices to none', async (t) => {
  const { stream, channel } = open();
  const streams: string[] = [];
  channel.on('stream', (r) => streams.push(r.kind));
  const a = channel.send('-interpreter-exec', ['console', 'ptype int']);
  const b = channel.send('-gdb-show', [rawArg('language')]);
  await tick();
  stream.push('~"type = int\\n"\n&"warning\\n"\n~"[New Thread 0x7f (LWP 42)]\\n"\n1^done\n~"for b"\n2^done,value="c"\n');
  const ra = await a;
  t.same(ra.console, ['type = int\n'], 'console of the first command, without the thread notice');
  t.same(ra.log, ['warning\n']);
  t.same((await b).console, ['for b'], 'output after the first reply belongs to the second command');
  t.same(streams, ['console', 'log', 'console', 'console'], 'every stream record is still an event');
});

t.test('async records and tokenless results are never taken for replies', async (t) => {
  const { stream, channel } = open();
  const asyncs: MiAsyncRecord[] = [];
  channel.on('async', (r) => asyncs.push(r));
  const reply = channel.send('-interpreter-exec', ['console', 'attach 42 &']);
  await tick();
  stream.push('=thread-group-started,id="i1",pid="42"\n^running\n*running,thread-id="all"\n1^done\n');
  t.equal((await reply).record.class, 'done', 'the tokened ^done answers, not the bare ^running');
  t.same(asyncs.map((r) => r.class), ['thread-group-started', 'running']);
  t.same(channel.attachedPids, [42], '=thread-group-started is tracked');
  stream.push('=thread-group-exited,id="i1"\n');
  t.same(channel.attachedPids, [], '=thread-group-exited is tracked');
});

t.test('^error rejects with MI_ERR_COMMAND_FAILED and gdb\'s message', async (t) => {
  const { stream, channel } = open();
  const reply = channel.send('-data-evaluate-expression', ['nope']);
  await tick();
  stream.push('1^error,msg="No symbol \\"nope\\" in current context."\n');
  await t.rejects(reply, { code: 'MI_ERR_COMMAND_FAILED', gdbMessage: 'No symbol "nope" in current context.', command: '-data-evaluate-expression "nope"' });
});

t.test('a timed-out command rejects; its late reply and output are not given to the next one', async (t) => {
  const { stream, channel } = open();
  const slow = channel.send('-interpreter-exec', ['console', 'info threads'], { timeoutMs: 20 });
  await t.rejects(slow, { code: 'MI_ERR_TIMEOUT', message: /within 20 ms/ });
  const next = channel.send('-gdb-show', [rawArg('language')]);
  await tick();
  stream.push('~"late output"\n1^done\n2^done,value="c"\n');
  const r = await next;
  t.equal(r.record.token, '2', 'the next command gets its own reply');
  t.same(r.console, [], 'the late output stayed with the timed-out command');
});

t.test('waitForAsync: the first match after the call; a timeout; the end of the channel', async (t) => {
  const { stream, channel } = open();
  const stopped = channel.waitForAsync((r) => r.class === 'stopped', 1000, 'a stop');
  stream.push('*running,thread-id="1"\n*stopped,reason="signal-received",thread-id="1"\n');
  t.equal((await stopped).results.reason, 'signal-received');
  await t.rejects(channel.waitForAsync((r) => r.class === 'stopped', 20, 'a second stop'), { code: 'MI_ERR_TIMEOUT', message: 'no a second stop within 20 ms' });
  const waiting = channel.waitForAsync(() => true, 1000, 'anything');
  stream.close('gdb closed its output');
  await t.rejects(waiting, { code: 'MI_ERR_GDB_EXITED', message: 'gdb exited while waiting for anything' });
  await t.rejects(channel.waitForAsync(() => true, 1000), { code: 'MI_ERR_GDB_EXITED' }, 'a wait set up after the end fails at once');
});

t.test('the stream closes: a last line without newline counts, pending commands reject, new ones are refused', async (t) => {
  const { stream, channel } = open();
  const closed: string[] = [];
  channel.on('pipe-closed', (why) => closed.push(why));
  const answered = channel.send('-gdb-show', [rawArg('language')]);
  const orphan = channel.send('-gdb-show', [rawArg('width')]);
  await tick();
  stream.push('1^done,value="c"');
  stream.close('gdb closed its output');
  t.equal((await answered).record.results.value, 'c', 'the unterminated last line answered its command');
  await t.rejects(orphan, { code: 'MI_ERR_GDB_EXITED', message: "gdb's pipe closed (gdb closed its output) before answering -gdb-show" });
  await t.rejects(channel.send('-gdb-show', [rawArg('x')]), { code: 'MI_ERR_GDB_EXITED', message: "gdb's pipe closed (gdb closed its output); cannot send -gdb-show" });
  t.same(closed, ['gdb closed its output'], 'pipe-closed once');
  t.equal(stream.ended, true, "the way to gdb is ended too (gdb's EOF)");
  t.equal(channel.isOpen, false);
  const writes = stream.writes.length;
  await tick();
  t.equal(stream.writes.length, writes, 'nothing is written after the close');
});

t.test('shutDown (the process exited): pending commands reject with its words; no pipe-closed', async (t) => {
  const { stream, channel } = open();
  let pipeClosed = 0;
  channel.on('pipe-closed', () => pipeClosed++);
  const pending = channel.send('-target-detach', [rawArg(42)]);
  await tick();
  channel.shutDown('gdb has exited', 'gdb exited (killed by SIGKILL)');
  await t.rejects(pending, { code: 'MI_ERR_GDB_EXITED', message: 'gdb exited (killed by SIGKILL) before answering -target-detach' });
  await t.rejects(channel.send('-gdb-exit'), { message: 'gdb has exited; cannot send -gdb-exit' });
  stream.close('gdb closed its output');
  t.equal(pipeClosed, 0, 'a close after the exit is not news');
  t.equal(stream.ended, false);
});

t.test('arguments that could smuggle a second command never reach the stream', async (t) => {
  const { stream, channel } = open();
  await t.rejects(channel.send('-gdb-show\n-gdb-exit'), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => CliText.of('language\n-gdb-exit'), { code: 'MI_ERR_BAD_ARGUMENT' });
  await tick();
  t.same(stream.writes, [], 'nothing written');
});

// ------------------------------------------------------------ recorded transcripts

interface Step {
  /** a line we sent (`-> ` in the transcript), token included */
  sent?: string;
  /** a line gdb printed */
  printed?: string;
}

/** The gdb sessions of a transcript (a `# --- ` line starts a new one, with fresh tokens). */
function readTranscript(name: string): Step[][] {
  const sessions: Step[][] = [[]];
  for (const l of readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mi', name), 'utf8').split('\n')) {
    if (l.startsWith('# --- ') && sessions.at(-1)!.length > 0) sessions.push([]);
    if (l === '' || l.startsWith('# ')) continue;
    sessions.at(-1)!.push(l.startsWith('-> ') ? { sent: l.slice(3) } : { printed: l });
  }
  return sessions;
}

/** `N-name arg…` back into a send(): strings unquoted (send quotes them again), plain words raw. */
function commandOf(line: string): { token: number; name: string; args: MiArg[] } {
  const m = /^(\d+)(-[a-z0-9-]+)(?: (.*))?$/.exec(line);
  if (!m) throw new Error(`not a command line: ${line}`);
  const args: MiArg[] = [];
  const rest = m[3] ?? '';
  for (let i = 0; i < rest.length; ) {
    if (rest[i] === ' ') {
      i++;
      continue;
    }
    if (rest[i] === '"') {
      const s = readCString(rest, i)!;
      args.push(s.value);
      i = s.end;
    } else {
      const end = rest.indexOf(' ', i) === -1 ? rest.length : rest.indexOf(' ', i);
      const word = rest.slice(i, end);
      args.push(/^(-{0,2}[a-z][a-z0-9-]*|-?[0-9]+|0x[0-9a-fA-F]+)$/.test(word) ? rawArg(word) : CliText.of(word));
      i = end;
    }
  }
  return { token: Number(m[1]), name: m[2]!, args };
}

interface Outcome {
  replies: Array<{ token: number; class: string; results: unknown; console: string[]; log: string[] } | { token: number; error: string; gdbMessage: string | undefined }>;
  records: MiRecord[];
}

/**
 * Plays a transcript: every recorded command is sent at once (so nothing waits on a reply
 * the fake gdb holds back), and the fake gdb prints what gdb printed, in the recorded
 * order, each time the line it had been waiting for arrives, cut into chunks by `size`.
 */
async function replay(steps: Step[], size: () => number): Promise<Outcome> {
  const { stream, channel } = open();
  const records: MiRecord[] = [];
  channel.on('record', (r) => records.push(r));
  const sentLines: string[] = [];
  let cursor = 0;
  const pump = (): void => {
    let out = '';
    for (;;) {
      const step = steps[cursor];
      if (!step) break;
      if (step.printed !== undefined) {
        out += step.printed + '\n';
        cursor++;
      } else if (sentLines[0] === step.sent) {
        sentLines.shift();
        cursor++;
      } else if (sentLines.length > 0) {
        throw new Error(`the channel wrote ${JSON.stringify(sentLines[0])}, the transcript has ${JSON.stringify(step.sent)}`);
      } else break;
    }
    if (out) setImmediate(() => stream.push(...chunked(out, size)));
  };
  stream.onWrite = (text) => {
    sentLines.push(...text.split('\n').filter((l) => l !== ''));
    pump();
  };
  pump();
  const commands = steps.filter((s) => s.sent !== undefined).map((s) => commandOf(s.sent!));
  const settled = await Promise.all(
    commands.map((c) =>
      channel.send(c.name, c.args).then(
        (r: MiReply) => ({ token: c.token, class: r.record.class, results: r.record.results, console: r.console, log: r.log }),
        (e: MiError) => ({ token: c.token, error: e.code, gdbMessage: e.gdbMessage }),
      ),
    ),
  );
  await tick();
  t.equal(cursor, steps.length, 'the whole transcript was played');
  return { replies: settled, records };
}

let seed = 12345;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

for (const name of ['attach-read-detach.mi', 'interrupt-continue.mi', 'target-select.mi', 'cgo-attach.mi', 'old-go-1.19.mi']) {
  for (const [i, steps] of readTranscript(name).entries()) {
    t.test(`replaying ${name} (gdb session ${i + 1}): the same replies and records however gdb's output is cut`, async (t) => {
      const whole = await replay(steps, () => Number.MAX_SAFE_INTEGER);
      const sent = steps.filter((s) => s.sent !== undefined).length;
      t.equal(whole.replies.length, sent, `${sent} commands, each settled`);
      // Against the recording itself: every tokened result line is the settlement of its command.
      for (const s of steps) {
        const m = /^(\d+)\^(done|running|connected|exit|error)/.exec(s.printed ?? '');
        if (!m) continue;
        const r = whole.replies.find((x) => x.token === Number(m[1]))!;
        if (m[2] === 'error') t.equal('error' in r && r.error, 'MI_ERR_COMMAND_FAILED', `${m[1]}^error rejects`);
        else t.equal('class' in r && r.class, m[2], `${m[1]}^${m[2]}`);
      }
      const asyncLines = steps.filter((s) => /^[*=+]/.test(s.printed ?? '')).length;
      t.equal(whole.records.filter((r) => r.kind === 'exec' || r.kind === 'notify' || r.kind === 'status').length, asyncLines, `${asyncLines} async records`);
      t.equal(whole.records.filter((r) => r.kind === 'parse-error').length, 0, 'no line unparsable');
      for (const [what, size] of [
        ['one character at a time', () => 1],
        ['random chunks of 1-64', () => 1 + Math.floor(random() * 64)],
        ['random chunks of 1-4096', () => 1 + Math.floor(random() * 4096)],
      ] as const) {
        t.same(await replay(steps, size), whole, what);
      }
    });
  }
}
