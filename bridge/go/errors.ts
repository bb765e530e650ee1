// Go-target errors: each says what is wrong and how to fix it.
import { BridgeError } from '../errors.ts';

export const GoErrorCode = {
  NO_SUCH_PROCESS: 'GO_ERR_NO_SUCH_PROCESS',
  NOT_GO: 'GO_ERR_NOT_GO',
  NO_DWARF: 'GO_ERR_NO_DWARF',
  NO_SYMBOLS: 'GO_ERR_NO_SYMBOLS',
  UNSUPPORTED_VERSION: 'GO_ERR_UNSUPPORTED_VERSION',
  PTRACE_DENIED: 'GO_ERR_PTRACE_DENIED',
  /** another debugger or tracer is attached to the process */
  TARGET_BUSY: 'GO_ERR_TARGET_BUSY',
  /** the bridge ran out of file descriptors, memory or processes */
  RESOURCES: 'GO_ERR_RESOURCES',
  /** a core file and the executable given with it are not the same build */
  CORE_BUILD_MISMATCH: 'GO_ERR_CORE_BUILD_MISMATCH',
  /** an executable or core file that does not exist */
  NO_SUCH_FILE: 'GO_ERR_NO_SUCH_FILE',
  BUILD_ID_MISMATCH: 'GO_ERR_BUILD_ID_MISMATCH',
  LAYOUT: 'GO_ERR_LAYOUT',
  READ_FAILED: 'GO_ERR_READ_FAILED',
  TARGET_EXITED: 'GO_ERR_TARGET_EXITED',
  /** the process exec'd another program: what was resolved no longer applies */
  TARGET_REPLACED: 'GO_ERR_TARGET_REPLACED',
  /** the process has been stopped for over a second while attached */
  TARGET_STOPPED: 'GO_ERR_TARGET_STOPPED',
  /** gdb lost track of the threads (they stayed stopped); the target was detached by force */
  GDB_LOST_THREADS: 'GO_ERR_GDB_LOST_THREADS',
  NOT_ELF: 'GO_ERR_NOT_ELF',
  /** ELF magic, but headers that do not hold together */
  BAD_ELF: 'GO_ERR_BAD_ELF',
  /** an ELF section that is not there, or has no file contents */
  NO_SECTION: 'GO_ERR_NO_SECTION',
  /** a path that is a FIFO, directory, device or socket where a regular file is needed */
  NOT_A_FILE: 'GO_ERR_NOT_A_FILE',
  UNREADABLE: 'GO_ERR_UNREADABLE',
  BAD_CORE: 'GO_ERR_BAD_CORE',
} as const;
export type GoErrorCode = (typeof GoErrorCode)[keyof typeof GoErrorCode];

export class GoError extends BridgeError {
  declare readonly code: GoErrorCode;
  constructor(code: GoErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }
}
