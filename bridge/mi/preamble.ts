// What every gdb we start is told before it touches a target (gdb-mi-notes.md §11.1).
import type { MiSender } from './channel.ts';
import { gdbSet, gdbShow, listFeatures } from './commands/gdb.ts';
import { interpreterExecConsole } from './commands/console.ts';
import { MiError, MiErrorCode } from './errors.ts';

/**
 * Every signal passes to the program, without stopping or printing (gdb-mi-notes.md §10).
 * `all` leaves out SIGINT and SIGTRAP, which gdb keeps for itself; SIGINT must pass too (a
 * Ctrl-C or `kill -INT` meant for the program), SIGTRAP is never raised (no breakpoints).
 * A named list once left out SIGTERM, SIGINT and SIGQUIT, and a `kill PID` froze the target.
 */
export const SIGNAL_PASSTHROUGH = ['handle all nostop noprint pass', 'handle SIGINT nostop noprint pass'] as const;

export const PREAMBLE_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  // mi-async: without it gdb stops reading commands while the inferior runs.
  ['mi-async', 'on'],
  // non-stop: attach and read without stopping threads; must precede attach/connect.
  ['non-stop', 'on'],
  ['pagination', 'off'],
  ['confirm', 'off'],
  ['width', '0'],
  ['height', '0'],
  // auto-load off: the binary names the runtime-gdb.py script; it also changes value formatting.
  ['auto-load', 'off'],
  // C, not Go: `sizeof`, casts and `ptype/o` offsets exist only there, and a manual
  // language is not switched back to Go when a Go frame gets selected.
  ['language', 'c'],
  // ptype of large runtime structs (mheap is ~93 KB) is refused under the 64 KiB default.
  ['max-value-size', 'unlimited'],
  // Each *stopped record of a consistent stop carries the thread's frame; with only the
  // function in it gdb skips the line-table work (measured: 47 threads stop in 13 ms, not 23).
  ['print frame-info', 'short-location'],
];

/** Applies the preamble (pipelined) and checks the MI features we rely on. */
export async function applyPreamble(c: MiSender): Promise<{ features: string[] }> {
  await Promise.all([
    ...PREAMBLE_SETTINGS.map(([k, v]) => gdbSet(c, k, v)),
    ...SIGNAL_PASSTHROUGH.map((cmd) => interpreterExecConsole(c, cmd)),
  ]);
  // An unknown or mistyped -gdb-set only warns; read the ones that protect the target back.
  for (const name of ['mi-async', 'non-stop', 'pagination', 'confirm', 'language']) {
    const want = PREAMBLE_SETTINGS.find(([k]) => k === name)![1];
    const got = await gdbShow(c, name);
    if (got !== want) {
      throw new MiError(MiErrorCode.GDB_UNSUPPORTED, `gdb did not accept 'set ${name} ${want}' (it shows '${got}')`);
    }
  }
  const features = await listFeatures(c);
  if (!features.includes('language-option')) {
    throw new MiError(MiErrorCode.GDB_UNSUPPORTED, 'this gdb lacks the MI --language option (feature "language-option"); use gdb >= 10');
  }
  return { features };
}
