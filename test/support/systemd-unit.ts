// A systemd unit file read the way systemd reads it, as far as the deploy tests need: sections,
// repeated keys, comments, backslash continuations, specifiers, and ExecStart's words.

export type Unit = Map<string, Map<string, string[]>>;

export function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = new Map();
      unit.set(head[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    section.set(key, values);
  }
  return unit;
}

/** Every value of `key` in `section` (an empty list when absent). */
export function unitValues(unit: Unit, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The one value of `key`; throws when it is absent or given more than once. */
export function unitValue(unit: Unit, section: string, key: string): string {
  const v = unitValues(unit, section, key);
  if (v.length !== 1) throw new Error(`[${section}] ${key}= is given ${v.length} times, expected once`);
  return v[0]!;
}

/** Replaces systemd specifiers (%i, %S, %C, %t, %%) by `values`; an unknown one throws. */
export function expandSpecifiers(s: string, values: Record<string, string>): string {
  return s.replace(/%(.)/g, (_, c: string) => {
    if (c === '%') return '%';
    const v = values[c];
    if (v === undefined) throw new Error(`specifier %${c} in '${s}' has no value here`);
    return v;
  });
}

/** Environment= values (`NAME=value`, optionally double-quoted as a whole) as pairs. */
export function environmentPairs(values: string[]): Array<[string, string]> {
  return values.flatMap((v) =>
    [...v.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => {
      const word = m[1] ?? m[2]!;
      const eq = word.indexOf('=');
      return [word.slice(0, eq), word.slice(eq + 1)] as [string, string];
    }),
  );
}

/** ExecStart= split into words (double quotes group; no prefixes such as `-` or `@` are used). */
export function execWords(value: string): string[] {
  if (/^[-@:+!]/.test(value)) throw new Error(`ExecStart prefixes are not handled here: ${value}`);
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}
