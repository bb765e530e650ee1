// The repository's import graph, from the source text: every static `import … from`, `export …
// from` and literal `import('…')`, resolved to repo-relative paths (relative specifiers) or kept
// as package names. For the layer test; no TypeScript needed.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, normalize, relative } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

export interface Edge {
  from: string;
  /** repo-relative path, or the package name for a bare specifier */
  to: string;
  line: number;
  /** `import type` / `export type`: erased at run time, but still a dependency of the design */
  typeOnly: boolean;
}

const SPEC = /(?:^|[^\w.])(?:import|export)\s+(type\s+)?(?:[\w*\s{},]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Source files under `dirs` that git tracks (so a fresh clone has the same graph). */
export function sourceFiles(dirs: string[]): string[] {
  const out = execFileSync('git', ['ls-files', '--', ...dirs], { cwd: REPO, encoding: 'utf8' });
  return out.split('\n').filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !f.endsWith('.d.ts'));
}

/** Strips comments (a commented-out import is not one) while keeping line numbers. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function importsOf(file: string): Edge[] {
  const text = withoutComments(readFileSync(join(REPO, file), 'utf8'));
  const edges: Edge[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[2] ?? m[3]!;
    const line = text.slice(0, m.index).split('\n').length;
    const to = spec.startsWith('.') ? normalize(relative(REPO, join(REPO, dirname(file), spec))) : spec.replace(/^node:/, 'node:');
    edges.push({ from: file, to, line, typeOnly: m[1] !== undefined });
  }
  return edges;
}

/** Every cycle's files (strongly connected components of more than one file, or a self-import). */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  return out;
}
