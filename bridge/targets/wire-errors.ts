// The one mapping from internal error codes to the protocol's smaller, stable wire enum.
import type { ErrorCode } from '../../protocol/errors.ts';
import type { SshErrorCode } from '../access/remote/errors.ts';
import { isBridgeError, type BridgeErrorCode } from '../errors.ts';
import type { GoErrorCode } from '../go/errors.ts';
import type { MiErrorCode } from '../mi/errors.ts';

/** Every code the bridge raises. */
export type InternalErrorCode = GoErrorCode | MiErrorCode | SshErrorCode | BridgeErrorCode;

// Exhaustive: a code added to any union without its wire code here does not compile.
const MAP: Record<InternalErrorCode, ErrorCode> = {
  GO_ERR_NO_SUCH_PROCESS: 'NO_SUCH_PROCESS',
  GO_ERR_NOT_GO: 'NOT_GO',
  GO_ERR_NOT_ELF: 'NOT_GO',
  GO_ERR_NOT_A_FILE: 'BAD_REQUEST',
  GO_ERR_BAD_ELF: 'NOT_GO',
  // a build-ID or build-info section that is there by name but not in the file: not a Go build we can use
  GO_ERR_NO_SECTION: 'NOT_GO',
  GO_ERR_NO_DWARF: 'NO_SYMBOLS',
  GO_ERR_NO_SYMBOLS: 'NO_SYMBOLS',
  GO_ERR_BUILD_ID_MISMATCH: 'NO_SYMBOLS',
  GO_ERR_UNSUPPORTED_VERSION: 'UNSUPPORTED',
  GO_ERR_LAYOUT: 'UNSUPPORTED',
  GO_ERR_PTRACE_DENIED: 'PERMISSION_DENIED',
  GO_ERR_TARGET_BUSY: 'TARGET_BUSY',
  GO_ERR_RESOURCES: 'RESOURCE_EXHAUSTED',
  GO_ERR_CORE_BUILD_MISMATCH: 'BAD_CORE',
  GO_ERR_NO_SUCH_FILE: 'BAD_REQUEST',
  GO_ERR_UNREADABLE: 'PERMISSION_DENIED',
  GO_ERR_TARGET_EXITED: 'TARGET_EXITED',
  GO_ERR_TARGET_REPLACED: 'TARGET_REPLACED',
  GO_ERR_TARGET_STOPPED: 'TARGET_STOPPED',
  GO_ERR_GDB_LOST_THREADS: 'GDB_FAILED',
  GO_ERR_READ_FAILED: 'READ_FAILED',
  MI_ERR_GDB_MISSING: 'GDB_FAILED',
  MI_ERR_GDB_UNSUPPORTED: 'GDB_FAILED',
  MI_ERR_SIGNALS_NOT_PASSED: 'GDB_FAILED',
  MI_ERR_GDB_EXITED: 'GDB_FAILED',
  MI_ERR_TIMEOUT: 'GDB_FAILED',
  MI_ERR_COMMAND_FAILED: 'READ_FAILED',
  MI_ERR_BAD_REPLY: 'READ_FAILED',
  MI_ERR_BAD_ARGUMENT: 'BAD_REQUEST',
  BRIDGE_ERR_POLICY: 'PERMISSION_DENIED',
  GO_ERR_BAD_CORE: 'BAD_CORE',
  SSH_ERR_UNREACHABLE: 'SSH_UNREACHABLE',
  SSH_ERR_AUTH: 'SSH_AUTH_FAILED',
  SSH_ERR_HOST_KEY: 'SSH_HOST_KEY_UNKNOWN',
  SSH_ERR_GDBSERVER_MISSING: 'GDBSERVER_MISSING',
  SSH_ERR_REMOTE: 'REMOTE_FAILED',
  BRIDGE_ERR_CLOSING: 'SHUTTING_DOWN',
  BRIDGE_ERR_TOO_MANY_TARGETS: 'TOO_MANY_TARGETS',
  // The manager retries on a fresh session: never sent.
  BRIDGE_ERR_SESSION_CLOSED: 'INTERNAL',
};

export function toWireError(err: unknown): { code: ErrorCode; message: string } {
  if (isBridgeError(err)) return { code: MAP[err.code as InternalErrorCode] ?? 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
