import t from 'tap';
import { readCString } from '../../bridge/mi/cstring.ts';
import { assertConsoleText, formatCommand, quoteMiArg, rawArg } from '../../bridge/mi/escape.ts';
import { parseLine } from '../../bridge/mi/parser.ts';

const nasty = [
  'plain',
  'with space',
  'quote " inside',
  'back\\slash',
  'new\nline',
  'cr\rlf',
  'tab\there',
  '; kill',
  '"; -gdb-exit',
  '\n-gdb-exit\n',
  '\\"\n-target-detach',
  'nul\0byte',
  'del\x7f',
  'ünïcödé €😀',
  '-file-exec-and-symbols /bin/sh',
  '`shell rm -rf /`',
  '$(reboot)',
  '',
];

t.test('quoted arguments are one line of printable ASCII', async (t) => {
  for (const s of nasty) {
    const q = quoteMiArg(s);
    t.match(q, /^"[\x20-\x7e]*"$/, JSON.stringify(s));
    t.notOk(q.includes('\n') || q.includes('\r'), 'no raw line break');
  }
});

t.test('quoting round-trips through the MI c-string decoder (gdb uses the same escapes)', async (t) => {
  for (const s of nasty) {
    t.equal(readCString(quoteMiArg(s), 0)?.value, s, JSON.stringify(s));
  }
});

t.test('a quoted argument cannot end the string early', async (t) => {
  for (const s of nasty) {
    const q = quoteMiArg(s);
    const r = readCString(q, 0);
    t.equal(r?.end, q.length, `string ends exactly at the closing quote: ${JSON.stringify(s)}`);
  }
});

t.test('formatCommand quotes strings, passes checked raw words', async (t) => {
  t.equal(formatCommand(7, '-data-read-memory-bytes', [rawArg('0x10'), rawArg(8)]), '7-data-read-memory-bytes 0x10 8');
  t.equal(formatCommand(8, '-file-exec-and-symbols', ['/tmp/a b"c']), '8-file-exec-and-symbols "/tmp/a b\\"c"');
  t.throws(() => rawArg('1; -gdb-exit'), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => rawArg('--all\n-gdb-exit'), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => rawArg('"x"'), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => formatCommand(1, '-gdb-exit\n-x', []), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => formatCommand(1, 'gdb-exit', []), { code: 'MI_ERR_BAD_ARGUMENT' });
});

t.test('console text refuses control characters', async (t) => {
  t.doesNotThrow(() => assertConsoleText("ptype/o 'runtime.mspan'"));
  for (const bad of ['attach 1\nkill', 'x\r', 'a\0b', 'a\x1bb']) {
    t.throws(() => assertConsoleText(bad), { code: 'MI_ERR_BAD_ARGUMENT' }, JSON.stringify(bad));
  }
});

t.test('a formatted command line never parses as gdb output records', async (t) => {
  for (const s of nasty) {
    const line = formatCommand(1, '-data-evaluate-expression', [s]);
    t.equal(line.split('\n').length, 1);
    t.equal(parseLine(line).kind, 'parse-error');
  }
});

t.test('CliText.word: buildargv escaping for CLI-mapped commands (file, core-file)', async (t) => {
  const { CliText } = await import('../../bridge/mi/escape.ts');
  t.equal(CliText.word('/tmp/a b').text, '/tmp/a\\ b');
  t.equal(CliText.word('/x/"q"\\\'; $(y)').text, '/x/\\"q\\"\\\\\\\'\\;\\ \\$\\(y\\)');
  t.equal(CliText.word('/é/ü').text, '/é/ü', 'non-ASCII passes through as UTF-8');
  t.throws(() => CliText.word('/a\nb'), { code: 'MI_ERR_BAD_ARGUMENT' });
  t.throws(() => CliText.word(''), { code: 'MI_ERR_BAD_ARGUMENT' });
  // buildargv semantics: backslash + any char = that char, unquoted spaces split words.
  const unescape = (s: string): string[] => {
    const out: string[] = [];
    let cur = '';
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\\') cur += s[++i] ?? '';
      else if (s[i] === ' ') { out.push(cur); cur = ''; }
      else cur += s[i];
    }
    out.push(cur);
    return out;
  };
  for (const s of ['/p a t h', '/"; -gdb-exit', "/it's", '/back\\slash', '/tab?*[x]']) {
    t.same(unescape(CliText.word(s).text), [s], `one word: ${JSON.stringify(s)}`);
  }
});
