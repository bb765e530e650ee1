// Thread notices (`[New LWP n]`, …) are told apart from command output: recorded lines from
// real gdb transcripts plus the other forms gdb 13 prints (libthread_db, remote).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isThreadNotice } from '../../bridge/mi/notices.ts';
import { parseLine } from '../../bridge/mi/parser.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'mi');

/** Every `~` text in the recorded transcripts. */
function recordedConsoleTexts(): string[] {
  const out: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mi'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.startsWith('~')) continue;
      const r = parseLine(line);
      if (r.kind === 'console') out.push(r.text);
    }
  }
  return out;
}

t.test('recorded transcripts: the [New LWP n] lines and nothing else', async (t) => {
  const texts = recordedConsoleTexts();
  const notices = texts.filter(isThreadNotice);
  // Independent of the classifier's regex: what the recordings are known to contain.
  const expected = texts.filter((s) => /^\[New LWP \d+\]\n$/.test(s));
  t.ok(expected.length >= 20, `the recordings hold thread notices (${expected.length})`);
  t.same(notices, expected, 'exactly the thread notices are classified as such');
  // Output that must stay with its command, including look-alikes.
  for (const keep of [
    '[Inferior 1 (process 18121) detached]\n',
    '[Thread debugging using libthread_db enabled]\n',
    '\nThread ',
    '9 "memhog-go1.27.3" stopped.\n',
    '/*      0      |       8 */    int64 committed;\n',
  ]) {
    t.ok(texts.includes(keep), `recorded: ${JSON.stringify(keep)}`);
    t.notOk(isThreadNotice(keep), `kept as output: ${JSON.stringify(keep)}`);
  }
});

t.test('the other notice forms gdb prints', async (t) => {
  for (const s of [
    '[New Thread 0x7ffff7d8a640 (LWP 1234)]\n', // libthread_db (cgo binaries)
    '[Thread 0x7ffff7d8a640 (LWP 1234) exited]\n',
    '[LWP 1234 exited]\n',
    '[New Thread 1234.1235]\n', // over gdbserver
    '[Thread 1234.1235 exited]\n',
    '[New LWP 1]\n[New LWP 2]\n',
  ]) {
    t.ok(isThreadNotice(s), JSON.stringify(s));
  }
  for (const s of ['', '\n', '[New LWP 1]', '[New LWP 1]\nreal output\n', 'x[New LWP 1]\n', '[New LWP 1] \n', '[New process 5]\n', '[LWP 1234 exited] extra\n', '[New LWP ]\n']) {
    t.notOk(isThreadNotice(s), `not a notice: ${JSON.stringify(s)}`);
  }
});
