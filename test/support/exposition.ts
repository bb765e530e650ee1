// A strict reader of the Prometheus text format 0.0.4 as the bridge and client_golang write
// it: each family is `# HELP`, `# TYPE`, then its series. Pure.

export interface Series {
  name: string;
  labels: Record<string, string>;
  /** the label text as written, without braces */
  labelText: string;
  value: string;
}
export interface Family {
  help: string;
  type: string;
  series: Series[];
}

/**
 * A strict reader of what renderMetrics writes: each family is `# HELP`, `# TYPE`, then its
 * series (summary series may carry _sum/_count); label values unescaped.
 */
export function parseExposition(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('no final newline');
  let cur: { name: string; fam: Family } | undefined;
  const lines = text.slice(0, -1).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(l);
    if (help) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|summary|histogram|untyped)$/.exec(lines[++i] ?? '');
      if (!type || type[1] !== help[1]) throw new Error(`line ${i}: HELP not followed by its TYPE`);
      if (fams.has(help[1]!)) throw new Error(`second HELP for ${help[1]}`);
      cur = { name: help[1]!, fam: { help: help[2]!, type: type[2]!, series: [] } };
      fams.set(cur.name, cur.fam);
      continue;
    }
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/.exec(l);
    if (!s || !cur) throw new Error(`line ${i}: not a sample line: ${JSON.stringify(l)}`);
    const name = s[1]!;
    const ok = name === cur.name || (cur.fam.type === 'summary' && (name === cur.name + '_sum' || name === cur.name + '_count'));
    if (!ok) throw new Error(`line ${i}: ${name} outside its family (in ${cur.name})`);
    const labels: Record<string, string> = {};
    for (const m of (s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g)) {
      labels[m[1]!] = m[2]!.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    cur.fam.series.push({ name, labels, labelText: s[2] ?? '', value: s[3]! });
  }
  return fams;
}

export function family(fams: Map<string, Family>, name: string): Family {
  const f = fams.get(name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}
