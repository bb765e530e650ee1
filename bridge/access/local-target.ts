// A process on this host: the reader with a LocalAccess, in one call (scripts and tests).
import { TargetReader, type ReaderOptions } from '../go/target.ts';
import { LocalAccess } from './local-access.ts';

export interface OpenTargetOptions extends ReaderOptions {
  pid: number;
  /** an unstripped copy of its executable (same Go build ID) */
  exe?: string | undefined;
}

export type LocalTarget = TargetReader;
export const LocalTarget = {
  open: (opts: OpenTargetOptions): Promise<TargetReader> => TargetReader.open(new LocalAccess(opts.pid, opts.exe), opts),
};
