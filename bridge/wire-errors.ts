// The one mapping from internal error codes to the protocol's smaller, stable wire enum.
import type { ErrorCode } from '../protocol/errors.ts';
import { isBridgeError } from './errors.ts';

const MAP: Record<string, ErrorCode> = {
  GO_ERR_NO_SUCH_PROCESS: 'NO_SUCH_PROCESS',
  GO_ERR_NOT_GO: 'NOT_GO',
  GO_ERR_NOT_ELF: 'NOT_GO',
  GO_ERR_BAD_ELF: 'NOT_GO',
  GO_ERR_NO_DWARF: 'NO_SYMBOLS',
  GO_ERR_NO_SYMBOLS: 'NO_SYMBOLS',
  GO_ERR_BUILD_ID_MISMATCH: 'NO_SYMBOLS',
  GO_ERR_UNSUPPORTED_VERSION: 'UNSUPPORTED',
  GO_ERR_LAYOUT: 'UNSUPPORTED',
  GO_ERR_PTRACE_DENIED: 'PERMISSION_DENIED',
  GO_ERR_UNREADABLE: 'PERMISSION_DENIED',
  GO_ERR_TARGET_EXITED: 'TARGET_EXITED',
  GO_ERR_READ_FAILED: 'READ_FAILED',
  MI_ERR_GDB_MISSING: 'GDB_FAILED',
  MI_ERR_GDB_UNSUPPORTED: 'GDB_FAILED',
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
};

export function toWireError(err: unknown): { code: ErrorCode; message: string } {
  if (isBridgeError(err)) return { code: MAP[err.code] ?? 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
