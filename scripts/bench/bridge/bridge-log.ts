// What the bench's bridges logged (at --log-level info), kept apart from the bench's own notes
// and summarised at the end: one line per distinct message, an error with where it was thrown.
import { basename } from 'node:path';
import { ROOT } from '../baseline.ts';

export interface LogLine {
  bridge: string;
  level: number;
  msg: string;
  line: string;
}

/** Lines of the bench's bridges, in order. */
export const bridgeLogs: LogLine[] = [];

/** BridgeProc's onLine for the bridge `label`: keeps everything but the start and stop lines. */
export function keepLogOf(label: string): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => {
    if (stream === 'stderr') {
      if (line.trim()) bridgeLogs.push({ bridge: label, level: 50, msg: `stderr: ${line.slice(0, 300)}`, line });
      return;
    }
    let e: { level?: number; msg?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      bridgeLogs.push({ bridge: label, level: 40, msg: `non-JSON stdout: ${line.slice(0, 200)}`, line });
      return;
    }
    if (e.msg !== 'bridge listening' && e.msg !== 'bridge closed; every target detached') bridgeLogs.push({ bridge: label, level: e.level ?? 0, msg: e.msg ?? '?', line });
  };
}

/** One Markdown list item per distinct message of each bridge, with its count and first occurrence. */
export function logSummary(): string[] {
  const byMsg = new Map<string, { n: number; level: number; first: string; bridge: string }>();
  for (const l of bridgeLogs) {
    const k = `${l.bridge}\u0000${l.msg}`;
    const e = byMsg.get(k);
    if (e) e.n++;
    else byMsg.set(k, { n: 1, level: l.level, first: l.line, bridge: l.bridge });
  }
  const levelName = (n: number): string => ({ 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' })[n] ?? String(n);
  if (byMsg.size === 0) return ['- the bridges logged nothing but `bridge listening` (at --log-level info).'];
  return [...byMsg].map(([k, e]) => `- bridge ${e.bridge} ${levelName(e.level)} ×${e.n}: ${k.split('\u0000')[1]} — first: ${describeLog(e.first)}`);
}

/** A pino line as `err.message @ file:line ← file:line …` (frames inside the repository), or the raw line. */
function describeLog(line: string): string {
  let e: { err?: { type?: string; message?: string; stack?: string; code?: string }; [k: string]: unknown };
  try {
    e = JSON.parse(line) as typeof e;
  } catch {
    return `\`${line.slice(0, 300)}\``;
  }
  if (!e.err) {
    const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, ...rest } = e;
    return `\`${JSON.stringify(rest).slice(0, 300)}\``;
  }
  const frames = [...(e.err.stack ?? '').matchAll(/(?:\(|\s)(\/[^\s()]+):(\d+):\d+\)?$/gm)]
    .map((m) => `${m[1]!.startsWith(ROOT + '/') ? m[1]!.slice(ROOT.length + 1) : basename(m[1]!)}:${m[2]}`)
    .filter((f) => !f.startsWith('node:') && !f.includes('node_modules'))
    .slice(0, 5);
  const ctx = Object.entries(e)
    .filter(([k]) => !['level', 'time', 'pid', 'hostname', 'name', 'err', 'msg'].includes(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  return `${e.err.type ?? 'Error'}${e.err.code ? ` ${e.err.code}` : ''}: \`${(e.err.message ?? '').slice(0, 200)}\`${frames.length ? ` at ${frames.join(' ← ')}` : ''}${ctx ? ` (${ctx})` : ''}`;
}
