import t from 'tap';
import { readCString } from '../../bridge/mi/cstring.ts';

const read = (s: string) => readCString(s, 0);

t.test('plain and simple escapes', async (t) => {
  t.same(read('"abc"'), { value: 'abc', end: 5 });
  t.equal(read('"a\\nb\\tc\\\\d\\"e"')?.value, 'a\nb\tc\\d"e');
  t.equal(read('"\\r\\b\\f\\v\\a\\e\\\'\\?"')?.value, '\r\b\f\v\x07\x1b\'?');
  t.equal(read('""')?.value, '');
});

t.test('octal escapes are bytes reassembled as UTF-8', async (t) => {
  t.equal(read('"caf\\303\\251"')?.value, 'café');
  t.equal(read('"\\342\\202\\254"')?.value, '€');
  t.equal(read('"\\360\\237\\230\\200"')?.value, '😀');
  t.equal(read('"\\0"')?.value, '\0');
  t.equal(read('"\\1234"')?.value, 'S4', 'at most three octal digits');
  t.equal(read('"\\033[0m"')?.value, '\x1b[0m');
});

t.test('raw non-ASCII mixed with escapes', async (t) => {
  t.equal(read('"é and \\303\\251"')?.value, 'é and é');
});

t.test('invalid UTF-8 bytes become replacement characters, not errors', async (t) => {
  t.equal(read('"\\377x"')?.value, '\uFFFDx');
});

t.test('hex escapes and unknown escapes', async (t) => {
  t.equal(read('"\\x41\\x4a"')?.value, 'AJ');
  t.equal(read('"\\q"')?.value, 'q');
});

t.test('unterminated or not a string', async (t) => {
  t.equal(read('"abc'), undefined);
  t.equal(read('"abc\\"'), undefined);
  t.equal(read('"abc\\'), undefined);
  t.equal(read('abc"'), undefined);
});

t.test('end index lets the caller continue after the string', async (t) => {
  const s = 'x="a\\"b",y="c"';
  const r = readCString(s, 2);
  t.same(r, { value: 'a"b', end: 8 });
  t.equal(readCString(s, 11)?.value, 'c');
});
