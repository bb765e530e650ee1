// The Go processes of a host (`list-targets`, or a local /proc scan) as an aligned text
// table for people, or JSON lines (the wire form) for scripts. Pure.
import type { TargetListing } from '../../protocol/target.ts';

/** "yes", "yes (attached)" when the bridge is reading it, or "no: why". */
function status(t: TargetListing, showAttached: boolean): string {
  if (!t.attachable) return `no: ${t.reason ?? 'unknown reason'}`;
  return showAttached && t.attached ? 'yes (attached)' : 'yes';
}

/**
 * PID, GO, ATTACHABLE, EXE columns, the executable last (the widest). `showAttached`: say
 * which targets the bridge is reading (a local scan attaches nothing). Ends with a newline;
 * an empty list gives the header alone.
 */
export function formatTargetTable(targets: readonly TargetListing[], opts: { showAttached?: boolean } = {}): string {
  const rows = [['PID', 'GO', 'ATTACHABLE', 'EXE'], ...targets.map((t) => [String(t.pid), t.goVersion ?? '?', status(t, opts.showAttached === true), t.exe])];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r[0]!.padStart(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`).join('\n') + '\n';
}

/** One JSON object per line, in the wire's key order. */
export function formatTargetJsonLines(targets: readonly TargetListing[]): string {
  return targets.map((t) => JSON.stringify(t) + '\n').join('');
}
