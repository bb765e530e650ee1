// MI c-strings (gdb's printchar/parse_escape): backslash escapes, including octal byte
// escapes that together form UTF-8 sequences, so bytes are reassembled before decoding.

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a, t: 0x09, r: 0x0d, b: 0x08, f: 0x0c, v: 0x0b, a: 0x07, e: 0x1b,
  '\\': 0x5c, '"': 0x22, "'": 0x27, '?': 0x3f,
};

const utf8 = new TextDecoder('utf-8', { fatal: false });

export interface CStringResult {
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

/**
 * Reads the c-string whose opening quote is at `start`. Returns undefined if it is not
 * terminated. Pure and linear; the fast path (no escapes, as in hex memory dumps) slices once.
 */
export function readCString(line: string, start: number): CStringResult | undefined {
  if (line.charCodeAt(start) !== 0x22) return undefined;
  let i = start + 1;
  const quote = line.indexOf('"', i);
  const slash = line.indexOf('\\', i);
  if (quote === -1) return undefined;
  if (slash === -1 || slash > quote) return { value: line.slice(i, quote), end: quote + 1 };

  const bytes: number[] = [];
  const pushText = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  while (i < line.length) {
    const q = line.indexOf('"', i);
    const s = line.indexOf('\\', i);
    if (q === -1) return undefined;
    if (s === -1 || q < s) {
      pushText(line.slice(i, q));
      return { value: utf8.decode(Uint8Array.from(bytes)), end: q + 1 };
    }
    pushText(line.slice(i, s));
    i = s + 1;
    if (i >= line.length) return undefined;
    const c = line[i]!;
    if (c >= '0' && c <= '7') {
      let n = 0;
      let k = 0;
      while (k < 3 && i < line.length && line[i]! >= '0' && line[i]! <= '7') {
        n = n * 8 + (line.charCodeAt(i) - 0x30);
        i++;
        k++;
      }
      bytes.push(n & 0xff);
    } else if (c === 'x' && /^[0-9a-fA-F]/.test(line.slice(i + 1, i + 2))) {
      i++;
      let n = 0;
      let k = 0;
      while (k < 2 && i < line.length && /[0-9a-fA-F]/.test(line[i]!)) {
        n = n * 16 + parseInt(line[i]!, 16);
        i++;
        k++;
      }
      bytes.push(n);
    } else {
      const simple = SIMPLE_ESCAPES[c];
      if (simple !== undefined) bytes.push(simple);
      else pushText(c); // unknown escape: keep the character, as gdb's parse_escape does
      i++;
    }
  }
  return undefined;
}
