// Pure parser for gdb's `ptype/o` output (C language), the source of struct layouts:
// member names, offsets, sizes and type names. Anonymous inline structs (Go slices,
// struct literals) are expanded by gdb with absolute offsets; we store them relative.

export interface Member {
  name: string;
  /** Offset from the start of the enclosing struct. */
  offset: number;
  size: number;
  /** gdb's C-style type text, e.g. `uint64`, `runtime.mspan *`, `[68]uint64`, `internal/runtime/atomic.Uint64`. */
  type: string;
  /** Members of an anonymous struct gdb expanded inline. */
  members?: Member[];
}

export interface StructLayout {
  name: string;
  size: number;
  members: Member[];
}

export type PtypeResult =
  | { kind: 'struct'; layout: StructLayout }
  /** Not a struct: `type = runtime.sysMemStat` (a base type or typedef). */
  | { kind: 'scalar'; name: string }
  | { kind: 'error'; message: string };

const MEMBER = /^\/\*\s+(\d+)(?::\s*\d+)?\s*\|\s*(\d+)\s*\*\/\s+(.*);$/;
const OPEN = /^\/\*\s+(\d+)\s*\|\s*(\d+)\s*\*\/\s+(?:struct|union)\s+(.*)\{$/;
const CLOSE = /^\}\s*(.*);$/;
const TOTAL = /^\/\*\s*total size \(bytes\):\s*(\d+)\s*\*\/$/;

/** Splits `TYPE NAME` where NAME is the last identifier (Go names; `_` for blank). */
function splitDecl(decl: string): { type: string; name: string } | undefined {
  const m = /^(.*?)\s*\b([A-Za-z_][A-Za-z0-9_]*)$/.exec(decl.trim());
  if (!m || !m[1]) return undefined;
  return { type: m[1].trim(), name: m[2]! };
}

export function parsePtypeO(output: string): PtypeResult {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const headerIdx = lines.findIndex((l) => l.startsWith('type = ') || l.includes('*/  type = '));
  if (headerIdx === -1) return { kind: 'error', message: `no 'type =' line in ptype output: ${output.slice(0, 200)}` };
  const header = lines[headerIdx]!.replace(/^.*type = /, '');
  const open = /^(?:struct|union)\s+(.*?)\s*\{$/.exec(header);
  if (!open) return { kind: 'scalar', name: header };

  const root: StructLayout = { name: open[1]!, size: -1, members: [] };
  // Stack of open structs: their member list and absolute offset.
  const stack: Array<{ members: Member[]; base: number; pending?: { offset: number; size: number; type: string } }> = [
    { members: root.members, base: 0 },
  ];
  for (const line of lines.slice(headerIdx + 1)) {
    if (line.startsWith('/* XXX') || line.startsWith('/* offset')) continue;
    const total = TOTAL.exec(line);
    if (total) {
      if (stack.length === 1) root.size = Number(total[1]);
      continue;
    }
    const o = OPEN.exec(line);
    if (o) {
      const top = stack[stack.length - 1]!;
      const abs = Number(o[1]);
      stack.push({ members: [], base: abs, pending: { offset: abs - top.base, size: Number(o[2]), type: o[3]!.trim() } });
      continue;
    }
    const m = MEMBER.exec(line);
    if (m) {
      const top = stack[stack.length - 1]!;
      const d = splitDecl(m[3]!);
      if (!d) return { kind: 'error', message: `cannot split member declaration: ${line}` };
      top.members.push({ name: d.name, offset: Number(m[1]) - top.base, size: Number(m[2]), type: d.type });
      continue;
    }
    const c = CLOSE.exec(line);
    if (c) {
      if (stack.length === 1) break; // the root's closing brace
      const done = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      const p = done.pending!;
      parent.members.push({ name: c[1]!.trim(), offset: p.offset, size: p.size, type: p.type, members: done.members });
      continue;
    }
    if (line === '}') break;
  }
  if (root.size < 0) return { kind: 'error', message: `no total size for ${root.name}` };
  return { kind: 'struct', layout: root };
}

/** `[68]uint64` → {count 68, elem 'uint64'}; `[1]*[4194304]*runtime.heapArena` → {1, '*[4194304]*runtime.heapArena'}. */
export function parseArrayType(type: string): { count: number; elem: string } | undefined {
  const m = /^\[(\d+)\](.+)$/.exec(type.trim());
  return m ? { count: Number(m[1]), elem: m[2]!.trim() } : undefined;
}

/** A named type a member refers to by value (not a pointer, array or C base type). */
export function isNamedValueType(type: string): boolean {
  return !type.includes('*') && !type.startsWith('[') && !type.startsWith('func') && /[./]/.test(type);
}
