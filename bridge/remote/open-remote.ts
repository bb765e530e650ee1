// The entry points for callers outside the bridge (the mstat CLI): one remote target read
// through ssh + gdbserver, and the Go processes of a remote host.
import { TargetReader, type ReaderOptions } from '../go/target.ts';
import type { TargetListing } from '../../protocol/target.ts';
import { listRemoteGoProcesses } from './remote-list.ts';
import { RemoteAccess } from './remote-access.ts';

export interface OpenRemoteOptions extends ReaderOptions {
  /** `[user@]host[:port]` (validated; never reaches a shell) */
  ssh: string;
  pid: number;
  /** a local unstripped copy of the target's executable; its Go build ID must match */
  exe?: string | undefined;
  /** ssh client config file (-F); default: the user's own */
  sshConfig?: string | undefined;
}

/**
 * Attaches to `pid` on the `ssh` host (non-stop, nothing stays stopped). Close the reader to
 * detach and tear down gdbserver and the tunnel. Errors are coded: SSH_ERR_UNREACHABLE,
 * SSH_ERR_AUTH, SSH_ERR_HOST_KEY, SSH_ERR_GDBSERVER_MISSING, SSH_ERR_REMOTE, and the
 * GO_ERR_* of a local target (NO_SUCH_PROCESS, NOT_GO, PTRACE_DENIED, BUILD_ID_MISMATCH, …).
 */
export function openRemoteTarget(opts: OpenRemoteOptions): Promise<TargetReader> {
  return TargetReader.open(new RemoteAccess({ ssh: opts.ssh, pid: opts.pid, exe: opts.exe, sshConfig: opts.sshConfig, log: opts.log }), opts);
}

/** The Go processes on the `ssh` host, each attachable or why not (one ssh round trip). */
export function listRemoteTargets(opts: { ssh: string; sshConfig?: string | undefined }): Promise<TargetListing[]> {
  return listRemoteGoProcesses({ destination: opts.ssh, configFile: opts.sshConfig });
}
