import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseLine } from '../../bridge/mi/parser.ts';
import type { MiRecord } from '../../bridge/mi/records.ts';

const plain = (r: MiRecord): unknown => JSON.parse(JSON.stringify(r));

t.test('result records with token and classes', async (t) => {
  t.same(plain(parseLine('101^done')), { kind: 'result', token: '101', class: 'done', results: {} });
  t.same(plain(parseLine('^running')), { kind: 'result', class: 'running', results: {} });
  t.same(plain(parseLine('5^connected')), { kind: 'result', token: '5', class: 'connected', results: {} });
  t.same(plain(parseLine('^exit')), { kind: 'result', class: 'exit', results: {} });
  t.same(plain(parseLine('12^error,msg="No symbol \\"sizeof\\" in current context."')), {
    kind: 'result', token: '12', class: 'error', results: { msg: 'No symbol "sizeof" in current context.' },
  });
  t.equal(parseLine('1^bogus').kind, 'parse-error', 'unknown result class');
});

t.test('async records', async (t) => {
  t.same(plain(parseLine('=thread-group-started,id="i1",pid="14921"')), {
    kind: 'notify', class: 'thread-group-started', results: { id: 'i1', pid: '14921' },
  });
  const stopped = parseLine('*stopped,reason="signal-received",signal-name="0",frame={addr="0x46d883",func="runtime.futex",args=[]},thread-id="1",stopped-threads=["1"],core="0"');
  t.same(plain(stopped), {
    kind: 'exec', class: 'stopped',
    results: { reason: 'signal-received', 'signal-name': '0', frame: { addr: '0x46d883', func: 'runtime.futex', args: [] }, 'thread-id': '1', 'stopped-threads': ['1'], core: '0' },
  });
  t.same(plain(parseLine('+download,section=".text"')), { kind: 'status', class: 'download', results: { section: '.text' } });
  t.same(plain(parseLine('7*running,thread-id="all"')), { kind: 'exec', token: '7', class: 'running', results: { 'thread-id': 'all' } });
});

t.test('stream records and prompt', async (t) => {
  t.same(plain(parseLine('~"[New LWP 14922]\\n"')), { kind: 'console', text: '[New LWP 14922]\n' });
  t.same(plain(parseLine('@"target out"')), { kind: 'target', text: 'target out' });
  t.same(plain(parseLine('&"warning: x\\n"')), { kind: 'log', text: 'warning: x\n' });
  t.same(plain(parseLine('(gdb) ')), { kind: 'prompt' });
  t.same(plain(parseLine('(gdb)')), { kind: 'prompt' });
  t.equal(parseLine('~"unterminated').kind, 'parse-error');
  t.equal(parseLine('~"x" trailing').kind, 'parse-error');
});

t.test('tuples, lists of values, lists of results, nesting', async (t) => {
  const r = parseLine('^done,memory=[{begin="0x10",offset="0x0",end="0x18",contents="0011223344556677"}],stack=[frame={level="0"},frame={level="1"}],x={},y=[],z=[["a"],{}]');
  t.same(plain(r), {
    kind: 'result', class: 'done',
    results: {
      memory: [{ begin: '0x10', offset: '0x0', end: '0x18', contents: '0011223344556677' }],
      stack: [{ level: '0' }, { level: '1' }],
      x: {}, y: [], z: [['a'], {}],
    },
  });
});

t.test('quirk: repeated keys in a tuple become an array', async (t) => {
  t.same(plain(parseLine('^done,thread-ids={thread-id="1",thread-id="2",thread-id="3"},number-of-threads="3"')), {
    kind: 'result', class: 'done', results: { 'thread-ids': { 'thread-id': ['1', '2', '3'] }, 'number-of-threads': '3' },
  });
  t.same(plain(parseLine('=x,a="1",a="2"')), { kind: 'notify', class: 'x', results: { a: ['1', '2'] } });
});

t.test('CRLF line ends are accepted', async (t) => {
  t.same(plain(parseLine('3^done,value="1"\r')), { kind: 'result', token: '3', class: 'done', results: { value: '1' } });
});

t.test('tuples have no prototype: gdb keys cannot reach Object.prototype', async (t) => {
  const r = parseLine('^done,__proto__={polluted="yes"},constructor="x"');
  t.equal(r.kind, 'result');
  if (r.kind !== 'result') return;
  t.same(Object.keys(r.results).sort(), ['__proto__', 'constructor']);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('garbage is a parse-error record with a position, never a throw', async (t) => {
  for (const line of ['garbage', '^done,', '^done,a', '^done,a=', '^done,a=b', '^done,a={b="1"', '^done,a=[', '*', '=', '123', '^', '{}', '^done,a="x"junk', '^done,a={{'.repeat(1)]) {
    const r = parseLine(line);
    t.equal(r.kind, 'parse-error', JSON.stringify(line));
    if (r.kind === 'parse-error') t.type(r.offset, 'number');
  }
  t.equal(parseLine('^done,a=' + '['.repeat(100000)).kind, 'parse-error', 'deep nesting is refused, not a stack overflow');
});

t.test('a large memory reply parses fast (megabytes of hex)', async (t) => {
  const hex = 'ab'.repeat(4 * 1024 * 1024);
  const start = process.hrtime.bigint();
  const r = parseLine(`9^done,memory=[{begin="0x0",offset="0x0",end="0x400000",contents="${hex}"}]`);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(r.kind, 'result');
  t.comment(`4 MiB reply parsed in ${ms.toFixed(1)} ms`);
});

// Transcripts recorded from this machine's gdb by scripts/record-mi-transcript.ts.
const dir = join(import.meta.dirname, '..', 'fixtures', 'mi');
const transcripts = readdirSync(dir).filter((f) => f.endsWith('.mi'));
t.ok(transcripts.length >= 3, 'recorded transcripts exist');
for (const file of transcripts) {
  t.test(`recorded transcript ${file}: every gdb line parses`, async (t) => {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    let n = 0;
    const kinds = new Set<string>();
    for (const line of lines) {
      if (line === '' || line.startsWith('#') || line.startsWith('-> ')) continue;
      const r = parseLine(line);
      if (r.kind === 'parse-error') t.fail(`${r.message} at ${r.offset}: ${line.slice(0, 200)}`);
      kinds.add(r.kind);
      n++;
    }
    t.ok(n > 5, `${n} lines`);
    t.ok(kinds.has('result'), 'has result records');
  });
}
