// Stable error codes on the wire, each with its one-line meaning. Clients switch on `code`.
import { z } from 'zod';

export const ERROR_CODES = {
  BAD_REQUEST: 'the frame is not valid JSON or does not match the protocol',
  UNKNOWN_SUBSCRIPTION: 'no subscription with that id on this connection',
  DUPLICATE_SUBSCRIPTION: 'a subscription with that id already exists on this connection',
  TOO_MANY_SUBSCRIPTIONS: 'this connection has reached its subscription limit',
  TOO_MANY_CONNECTIONS: 'the bridge has as many connections as it takes (in all, or from this address); the connection is closed',
  TOO_MANY_TARGETS: 'the bridge reads as many targets (gdb processes) as it may; unsubscribe from one first',
  RATE_LIMITED: 'this connection sends frames or list-targets faster than the bridge takes them; the excess is dropped',
  NO_SUCH_PROCESS: 'no process with that PID',
  NOT_GO: 'the process is not a Go program',
  NO_SYMBOLS: 'the executable has no symbols or no DWARF; an unstripped copy is needed',
  UNSUPPORTED: 'the Go version or architecture is not supported',
  PERMISSION_DENIED: 'not permitted to trace the process (ptrace) or not allowed by the bridge policy',
  TARGET_BUSY: 'the process is already traced by another debugger or tracer',
  TARGET_EXITED: 'the target process exited',
  TARGET_REPLACED: 'the target process replaced its program (exec); the bridge attaches to the new one',
  TARGET_STOPPED: 'the target process has been stopped for over a second while attached (the bridge detaches it by force if gdb cannot resume it)',
  GDB_FAILED: 'gdb is missing, failed or died (the bridge restarts it when it can)',
  READ_FAILED: 'reading the target failed',
  BAD_CORE: 'the core file is missing, truncated, corrupt, or not from this executable',
  SSH_UNREACHABLE: 'the remote host cannot be reached with ssh',
  SSH_AUTH_FAILED: 'ssh authentication was refused (keys, agent, user)',
  SSH_HOST_KEY_UNKNOWN: 'the remote host key is not in known_hosts (or has changed)',
  GDBSERVER_MISSING: 'gdbserver is not installed on the remote host',
  REMOTE_FAILED: 'a command on the remote host failed (a tool missing there, or ssh port forwarding refused)',
  SHUTTING_DOWN: 'the bridge is shutting down; connect again later',
  RESOURCE_EXHAUSTED: 'the bridge is out of file descriptors, memory or processes; try again later',
  INTERNAL: 'an unexpected bridge error',
} as const;

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...Array<keyof typeof ERROR_CODES>]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;
