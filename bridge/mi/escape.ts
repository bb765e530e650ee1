// The one place where strings become MI command text. Every argument goes through
// quoteMiArg, so a caller's string is always exactly one c-string argument: it cannot end
// the command line, add arguments, or start a new command.
import { MiError, MiErrorCode } from './errors.ts';

/** Quotes a string as an MI c-string argument (gdb's mi_parse_argv/parse_escape). */
export function quoteMiArg(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\' + code.toString(8).padStart(3, '0');
    else if (code > 0x7f) {
      // Non-ASCII as octal UTF-8 bytes, so the command line stays plain ASCII.
      for (const b of Buffer.from(ch, 'utf8')) out += '\\' + b.toString(8).padStart(3, '0');
    } else out += ch;
  }
  return out + '"';
}

/**
 * Text for `-interpreter-exec console`: one CLI command. Control characters would let a
 * second CLI command ride along inside the decoded string, so they are refused.
 */
export function assertConsoleText(text: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new MiError(MiErrorCode.BAD_ARGUMENT, `refusing console command with a control character: ${JSON.stringify(text)}`);
  }
}

/** An MI command name like `-data-read-memory-bytes`: fixed by our wrappers, never from a client. */
export function assertCommandName(name: string): void {
  if (!/^-[a-z][a-z0-9-]*$/.test(name)) {
    throw new MiError(MiErrorCode.BAD_ARGUMENT, `not an MI command name: ${JSON.stringify(name)}`);
  }
}

/** A bare option or number, checked so that it can only be one plain word. */
export class RawArg {
  private constructor(readonly text: string) {}
  static of(word: string | number | bigint): RawArg {
    const s = String(word);
    if (!/^(-{0,2}[a-z][a-z0-9-]*|-?[0-9]+|0x[0-9a-fA-F]+)$/.test(s)) {
      throw new MiError(MiErrorCode.BAD_ARGUMENT, `not a plain MI option or number: ${JSON.stringify(s)}`);
    }
    return new RawArg(s);
  }
}

/**
 * The argument text of a CLI-mapped MI command (`-gdb-set`, `-gdb-show`): gdb hands it to
 * the CLI verbatim, without unquoting, so it cannot be quoted. It is one line of CLI text
 * for a fixed command (`set`/`show`), so refusing control characters is what keeps it one
 * command.
 */
export class CliText {
  private constructor(readonly text: string) {}
  static of(text: string): CliText {
    assertConsoleText(text);
    return new CliText(text);
  }

  /**
   * One word for a CLI command that splits its text with libiberty's buildargv (`file`,
   * `core-file`, …, reached through CLI-mapped MI commands such as -file-exec-and-symbols).
   * buildargv takes a backslash before any character as that character, but has no escape
   * for control characters, so those are refused rather than silently mangled.
   */
  static word(text: string): CliText {
    assertConsoleText(text);
    if (text === '') throw new MiError(MiErrorCode.BAD_ARGUMENT, 'empty argument');
    return new CliText(text.replace(/[^A-Za-z0-9_/.,:@+=%-]/gu, (ch) => (ch.codePointAt(0)! > 0x7f ? ch : `\\${ch}`)));
  }
}

/** One argument of a command: any string (always quoted), a checked bare word, or CLI text. */
export type MiArg = string | RawArg | CliText;

export const rawArg = RawArg.of;

export function formatCommand(token: number, name: string, args: readonly MiArg[]): string {
  assertCommandName(name);
  const parts = [`${token}${name}`];
  for (const a of args) parts.push(a instanceof RawArg || a instanceof CliText ? a.text : quoteMiArg(a));
  return parts.join(' ');
}
