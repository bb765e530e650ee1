// Proof that gdb lets every signal through: the `info signals` table read back after attach.
// The preamble asks for it (preamble.ts); this checks what gdb actually does, so a gdb that
// ignored a `handle` command, or changed a row later, is refused before it can freeze a
// target (a SIGTERM held in tracing stop) or swallow a signal (nopass).
import type { MiSender } from './channel.ts';
import { interpreterExecConsole } from './commands/console.ts';
import { MiError, MiErrorCode } from './errors.ts';

/** The one row that is not `No No Yes`: gdb keeps SIGTRAP for breakpoints, which we never set. */
const GDB_OWN = new Set(['SIGTRAP']);

export interface SignalRow {
  name: string;
  stop: boolean;
  print: boolean;
  pass: boolean;
}

/** The rows of `info signals` (name, then Yes/No for stop, print, pass; tab-separated). */
export function parseSignalTable(text: string): SignalRow[] {
  const rows: SignalRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(Yes|No)\t(Yes|No)\t(Yes|No)\t/.exec(line);
    if (m) rows.push({ name: m[1]!, stop: m[2] === 'Yes', print: m[3] === 'Yes', pass: m[4] === 'Yes' });
  }
  return rows;
}

/** Rows that would stop, print or withhold a signal, as `SIGX stop print nopass`; empty when all pass. */
export function signalTableProblems(rows: readonly SignalRow[]): string[] {
  return rows
    .filter((r) => !GDB_OWN.has(r.name) && (r.stop || r.print || !r.pass))
    .map((r) => `${r.name} ${r.stop ? 'stop' : 'nostop'} ${r.print ? 'print' : 'noprint'} ${r.pass ? 'pass' : 'nopass'}`);
}

/**
 * Reads `info signals` and throws MI_ERR_SIGNALS_NOT_PASSED unless every row but SIGTRAP is
 * nostop noprint pass. A table with too few rows is not proof either.
 */
export async function verifySignalsPassed(c: MiSender): Promise<void> {
  const rows = parseSignalTable((await interpreterExecConsole(c, 'info signals')).output);
  const problems = signalTableProblems(rows);
  if (rows.length < 32 || !rows.some((r) => r.name === 'SIGTERM')) {
    problems.unshift(`'info signals' listed ${rows.length} signals`);
  }
  if (problems.length > 0) {
    throw new MiError(
      MiErrorCode.SIGNALS_NOT_PASSED,
      `gdb would not pass every signal to the target (${problems.slice(0, 4).join('; ')}${problems.length > 4 ? `; ${problems.length - 4} more` : ''}); refusing to read it. Is a gdbinit or wrapper changing 'handle'? Use an unmodified gdb (--gdb / MSTAT_GDB)`,
    );
  }
}
