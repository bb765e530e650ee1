// ssh failures as coded errors, each one line saying how to fix it. The codes map to the
// wire's SSH_UNREACHABLE / SSH_AUTH_FAILED / SSH_HOST_KEY_UNKNOWN / GDBSERVER_MISSING.
import { BridgeError } from '../../errors.ts';

export const SshErrorCode = {
  UNREACHABLE: 'SSH_ERR_UNREACHABLE',
  AUTH: 'SSH_ERR_AUTH',
  HOST_KEY: 'SSH_ERR_HOST_KEY',
  GDBSERVER_MISSING: 'SSH_ERR_GDBSERVER_MISSING',
  /** the remote side misbehaved: a tool missing, output we cannot read */
  REMOTE: 'SSH_ERR_REMOTE',
} as const;
export type SshErrorCode = (typeof SshErrorCode)[keyof typeof SshErrorCode];

export class SshError extends BridgeError {
  declare readonly code: SshErrorCode;
  constructor(code: SshErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }
}

/** The link (not the target) is the problem: a retry later may work. */
export function isLinkError(err: unknown): boolean {
  return err instanceof SshError && err.code !== SshErrorCode.GDBSERVER_MISSING;
}

/** ssh's own diagnostics from stderr, without the remote's login noise. */
function sshLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('debug') && !l.startsWith('Warning: Permanently added'));
}

/**
 * Classifies a failed ssh run (exit status 255 is ssh's own failure; a remote command's
 * status is passed through). Undefined when stderr does not look like an ssh error.
 */
export function classifySshFailure(destination: string, stderr: string, exitCode: number | undefined): SshError | undefined {
  const lines = sshLines(stderr);
  const text = lines.join('\n');
  const first = (re: RegExp): string => lines.find((l) => re.test(l)) ?? lines[lines.length - 1] ?? 'ssh failed';
  const ctx = { destination, exitCode, stderr: text.slice(0, 2000) };
  const hostKey = /host key verification failed|host key is known for|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed|no matching host key type/i;
  if (hostKey.test(text)) {
    const changed = /CHANGED|has changed/i.test(text);
    return new SshError(
      SshErrorCode.HOST_KEY,
      changed
        ? `the host key of ${destination} has CHANGED since it was recorded in known_hosts; if the change is expected, remove the old key (ssh-keygen -R HOST) and connect once with ssh to record the new one`
        : `the host key of ${destination} is not in known_hosts; connect once with 'ssh ${destination}' to verify and record it (the bridge never accepts unknown host keys)`,
      { context: ctx },
    );
  }
  const auth = /permission denied|too many authentication failures|no more authentication methods|authentication failed|not allowed because|account is locked/i;
  if (auth.test(text)) {
    return new SshError(
      SshErrorCode.AUTH,
      `ssh to ${destination} refused authentication (${first(auth)}); install your public key on the remote host (ssh-copy-id), load it into ssh-agent or name it with IdentityFile in the ssh config (password prompts are disabled)`,
      { context: ctx },
    );
  }
  const net = /could not resolve hostname|connection refused|connection timed out|timed out|no route to host|network is unreachable|connection reset|connection closed by|kex_exchange_identification|broken pipe|host is down|name or service not known/i;
  if (net.test(text) || exitCode === 255) {
    return new SshError(SshErrorCode.UNREACHABLE, `cannot reach ${destination} with ssh (${first(net)}); check the host name and port and that sshd runs there`, { context: ctx });
  }
  return undefined;
}
