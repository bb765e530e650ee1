// Which TargetAccess reads a target reference: a local process, a remote one, a core file.
import type { Logger } from '../log.ts';
import { CoreAccess } from '../go/core-access.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import { LocalAccess } from '../go/local-access.ts';
import type { TargetAccess } from '../go/target-access.ts';
import type { TargetRef } from '../../protocol/target.ts';

export interface AccessOptions {
  /** passed to every ssh invocation as -F FILE */
  sshConfig?: string | undefined;
}

export function accessFor(ref: TargetRef, opts: AccessOptions & { log: Logger }): TargetAccess {
  if ('core' in ref) return new CoreAccess(ref.core, ref.exe);
  if ('ssh' in ref) throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `remote targets (${ref.ssh}) are not supported by this build yet`);
  return new LocalAccess(ref.pid);
}
