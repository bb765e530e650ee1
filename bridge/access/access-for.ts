// Which TargetAccess reads a target reference: a local process, a remote one, a core file.
import type { Logger } from '../log.ts';
import { CoreAccess } from './core-access.ts';
import { LocalAccess } from './local-access.ts';
import { RemoteAccess } from './remote/remote-access.ts';
import type { TargetAccess } from '../go/target-access.ts';
import type { TargetRef } from '../../protocol/target.ts';

export interface AccessOptions {
  /** passed to every ssh invocation as -F FILE */
  sshConfig?: string | undefined;
}

export function accessFor(ref: TargetRef, opts: AccessOptions & { log: Logger }): TargetAccess {
  if ('core' in ref) return new CoreAccess(ref.core, ref.exe);
  if ('ssh' in ref) return new RemoteAccess({ ssh: ref.ssh, pid: ref.pid, exe: ref.exe, sshConfig: opts.sshConfig, log: opts.log });
  return new LocalAccess(ref.pid, ref.exe);
}
