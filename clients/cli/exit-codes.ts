// mstat's exit statuses, and the two mappings onto them: from the engine's internal error
// codes (reading locally) and from the wire's codes (reading through a bridge), so a target
// that cannot be read gives the same status either way.

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notReadable: 3,
  ptrace: 4,
  gdb: 5,
  buildId: 6,
  bridge: 7,
  ssh: 8,
  interrupted: 130,
} as const;

/** A failure with the status to exit with; `transient`: a watch may carry on after it. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly transient = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Internal (BridgeError) codes; anything else is 1. */
const LOCAL: Readonly<Record<string, number>> = {
  GO_ERR_NO_SUCH_PROCESS: EXIT.notReadable,
  GO_ERR_NOT_GO: EXIT.notReadable,
  GO_ERR_NO_DWARF: EXIT.notReadable,
  GO_ERR_NO_SYMBOLS: EXIT.notReadable,
  GO_ERR_UNSUPPORTED_VERSION: EXIT.notReadable,
  GO_ERR_NOT_ELF: EXIT.notReadable,
  GO_ERR_NOT_A_FILE: EXIT.notReadable,
  GO_ERR_UNREADABLE: EXIT.notReadable,
  GO_ERR_PTRACE_DENIED: EXIT.ptrace,
  MI_ERR_GDB_MISSING: EXIT.gdb,
  MI_ERR_GDB_UNSUPPORTED: EXIT.gdb,
  MI_ERR_SIGNALS_NOT_PASSED: EXIT.gdb,
  GO_ERR_BUILD_ID_MISMATCH: EXIT.buildId,
  GO_ERR_CORE_BUILD_MISMATCH: EXIT.buildId,
  GO_ERR_NO_SUCH_FILE: EXIT.notReadable,
  GO_ERR_TARGET_BUSY: EXIT.ptrace,
  GO_ERR_BAD_CORE: EXIT.notReadable,
  SSH_ERR_UNREACHABLE: EXIT.ssh,
  SSH_ERR_AUTH: EXIT.ssh,
  SSH_ERR_HOST_KEY: EXIT.ssh,
  SSH_ERR_GDBSERVER_MISSING: EXIT.ssh,
  SSH_ERR_REMOTE: EXIT.ssh,
};

/**
 * Wire codes (protocol/errors.ts) and the client library's own; anything else is 1. The
 * wire folds some internal codes together: GDB_FAILED is also a gdb that died (not only a
 * missing one), PERMISSION_DENIED also the bridge's --allow-pids/--same-uid policy.
 */
const WIRE: Readonly<Record<string, number>> = {
  NO_SUCH_PROCESS: EXIT.notReadable,
  NOT_GO: EXIT.notReadable,
  NO_SYMBOLS: EXIT.notReadable,
  UNSUPPORTED: EXIT.notReadable,
  PERMISSION_DENIED: EXIT.ptrace,
  TARGET_BUSY: EXIT.ptrace,
  GDB_FAILED: EXIT.gdb,
  BAD_CORE: EXIT.notReadable,
  SSH_UNREACHABLE: EXIT.ssh,
  SSH_AUTH_FAILED: EXIT.ssh,
  SSH_HOST_KEY_UNKNOWN: EXIT.ssh,
  GDBSERVER_MISSING: EXIT.ssh,
  REMOTE_FAILED: EXIT.ssh,
  SHUTTING_DOWN: EXIT.bridge,
  CONNECT_FAILED: EXIT.bridge,
  DISCONNECTED: EXIT.bridge,
  TIMEOUT: EXIT.bridge,
};

export function exitForLocalCode(code: string): number {
  return LOCAL[code] ?? EXIT.failed;
}

export function exitForWireCode(code: string): number {
  return WIRE[code] ?? EXIT.failed;
}
