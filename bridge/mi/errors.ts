import { BridgeError } from '../errors.ts';

/** Stable codes of the MI layer. */
export const MiErrorCode = {
  /** gdb answered ^error; `gdbMessage` holds its msg. */
  COMMAND_FAILED: 'MI_ERR_COMMAND_FAILED',
  /** No reply within the command's timeout. */
  TIMEOUT: 'MI_ERR_TIMEOUT',
  /** gdb exited or its pipes closed while the command was pending (or before it was sent). */
  GDB_EXITED: 'MI_ERR_GDB_EXITED',
  /** gdb's executable could not be found or run. */
  GDB_MISSING: 'MI_ERR_GDB_MISSING',
  /** gdb is too old or lacks an MI feature we rely on. */
  GDB_UNSUPPORTED: 'MI_ERR_GDB_UNSUPPORTED',
  /** A reply did not have the shape the wrapper depends on. */
  BAD_REPLY: 'MI_ERR_BAD_REPLY',
  /** An argument was refused before it reached gdb (e.g. a control character in console text). */
  BAD_ARGUMENT: 'MI_ERR_BAD_ARGUMENT',
  /** gdb would stop the target on a signal, or keep one from it (`info signals` after attach). */
  SIGNALS_NOT_PASSED: 'MI_ERR_SIGNALS_NOT_PASSED',
} as const;
export type MiErrorCode = (typeof MiErrorCode)[keyof typeof MiErrorCode];

export class MiError extends BridgeError {
  declare readonly code: MiErrorCode;
  /** The MI command line as sent (token stripped), for logs. */
  readonly command: string | undefined;
  /** gdb's own `msg` for ^error replies. */
  readonly gdbMessage: string | undefined;

  constructor(
    code: MiErrorCode,
    message: string,
    options: { command?: string; gdbMessage?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.command = options.command;
    this.gdbMessage = options.gdbMessage;
  }
}

/**
 * Keeps the caller's stack for an error that is only known later (when gdb answers),
 * so a failed command points at the code that sent it, not at the stdout handler.
 */
export class CallSite {
  // Captured per command but formatted only when an error needs it: formatting costs more
  // than a small memory read.
  private readonly holder: { stack?: string } = {};
  constructor(below?: Function) {
    // A few frames name the caller; a full async stack costs more to capture than a read.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 12;
    Error.captureStackTrace(this.holder, below ?? CallSite);
    Error.stackTraceLimit = limit;
  }
  attach<E extends Error>(err: E): E {
    const frames = (this.holder.stack ?? '').split('\n').slice(1).join('\n');
    err.stack = `${err.name}: ${err.message}\n${frames}`;
    return err;
  }
}
