// Pure MI line parser: one line of gdb's MI output in, one typed record out. Never throws.
import { readCString } from './cstring.ts';
import {
  MI_RESULT_CLASSES,
  type MiRecord,
  type MiResultClass,
  type MiTuple,
  type MiValue,
} from './records.ts';

/** Deeper nesting than this is not something gdb emits; refusing it keeps the stack bounded. */
const MAX_DEPTH = 200;

class Fail {
  constructor(readonly message: string, readonly offset: number) {}
}

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  peek(): string | undefined {
    return this.s[this.pos];
  }
  fail(message: string): never {
    throw new Fail(message, this.pos);
  }
  expect(ch: string): void {
    if (this.s[this.pos] !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  /** A variable or class name: anything up to '=', ',', or a bracket. */
  name(): string {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      // = , { } [ ] " and whitespace end a name
      if (c === 0x3d || c === 0x2c || c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x22 || c <= 0x20) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('expected a name');
    return this.s.slice(start, this.pos);
  }
}

function newTuple(): MiTuple {
  return Object.create(null) as MiTuple;
}

/** gdb quirk: a tuple may repeat a key (e.g. thread-ids={thread-id="1",thread-id="2"}). */
function addResult(t: MiTuple, name: string, value: MiValue, repeated: Set<string>): void {
  if (!(name in t)) {
    t[name] = value;
  } else if (repeated.has(name)) {
    (t[name] as MiValue[]).push(value);
  } else {
    t[name] = [t[name]!, value];
    repeated.add(name);
  }
}

function cstring(c: Cursor): string {
  const r = readCString(c.s, c.pos);
  if (r === undefined) c.fail('unterminated or malformed c-string');
  c.pos = r.end;
  return r.value;
}

function value(c: Cursor, depth: number): MiValue {
  if (depth > MAX_DEPTH) c.fail('nesting too deep');
  const ch = c.peek();
  if (ch === '"') return cstring(c);
  if (ch === '{') return tuple(c, depth + 1);
  if (ch === '[') return list(c, depth + 1);
  return c.fail('expected a value');
}

function tuple(c: Cursor, depth: number): MiTuple {
  c.expect('{');
  const t = newTuple();
  const repeated = new Set<string>();
  if (c.peek() === '}') {
    c.pos++;
    return t;
  }
  for (;;) {
    const name = c.name();
    c.expect('=');
    addResult(t, name, value(c, depth), repeated);
    const ch = c.peek();
    if (ch === ',') c.pos++;
    else if (ch === '}') {
      c.pos++;
      return t;
    } else c.fail("expected ',' or '}'");
  }
}

function list(c: Cursor, depth: number): MiValue[] {
  c.expect('[');
  const out: MiValue[] = [];
  if (c.peek() === ']') {
    c.pos++;
    return out;
  }
  for (;;) {
    const ch = c.peek();
    if (ch === '"' || ch === '{' || ch === '[') {
      out.push(value(c, depth));
    } else {
      // list of results: the names are redundant (frame=…,frame=…); keep the values
      c.name();
      c.expect('=');
      out.push(value(c, depth));
    }
    const next = c.peek();
    if (next === ',') c.pos++;
    else if (next === ']') {
      c.pos++;
      return out;
    } else c.fail("expected ',' or ']'");
  }
}

/** `( "," result )*` up to the end of the line. */
function results(c: Cursor): MiTuple {
  const t = newTuple();
  const repeated = new Set<string>();
  while (c.pos < c.s.length) {
    c.expect(',');
    const name = c.name();
    c.expect('=');
    addResult(t, name, value(c, 1), repeated);
  }
  return t;
}

function parseRecord(line: string): MiRecord {
  const c = new Cursor(line);
  const first = line[0];
  if (first === '~' || first === '@' || first === '&') {
    c.pos = 1;
    const text = cstring(c);
    if (c.pos !== line.length) c.fail('trailing characters after stream record');
    return { kind: first === '~' ? 'console' : first === '@' ? 'target' : 'log', text };
  }
  if (/^\(gdb\) ?$/.test(line)) return { kind: 'prompt' };

  let token: string | undefined;
  while (c.pos < line.length && line.charCodeAt(c.pos) >= 0x30 && line.charCodeAt(c.pos) <= 0x39) c.pos++;
  if (c.pos > 0) token = line.slice(0, c.pos);
  const sigil = c.peek();
  c.pos++;
  switch (sigil) {
    case '^': {
      const cls = c.name();
      if (!(MI_RESULT_CLASSES as readonly string[]).includes(cls)) c.fail(`unknown result class '${cls}'`);
      return { kind: 'result', token, class: cls as MiResultClass, results: results(c) };
    }
    case '*':
    case '+':
    case '=': {
      const cls = c.name();
      const kind = sigil === '*' ? 'exec' : sigil === '+' ? 'status' : 'notify';
      return { kind, token, class: cls, results: results(c) };
    }
    default:
      c.pos--;
      return c.fail('not an MI record');
  }
}

/**
 * Parses one line of MI output (without its newline; a trailing CR is ignored).
 * Garbage yields a `parse-error` record; this function does not throw.
 */
export function parseLine(rawLine: string): MiRecord {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  try {
    return parseRecord(line);
  } catch (err) {
    if (err instanceof Fail) return { kind: 'parse-error', line, message: err.message, offset: err.offset };
    return { kind: 'parse-error', line, message: err instanceof Error ? err.message : String(err), offset: 0 };
  }
}
