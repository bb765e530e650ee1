// A private directory (0700, on tmpfs when there is one) where gdb dumps large memory ranges
// for MiMemory. One per reader; removed with it.
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PLAIN_DUMP_PATH } from '../../mi/commands/dump.ts';

export class DumpDir {
  private next = 0;
  /** gdb's working directory is this one (environmentCd): gdb is given bare file names. */
  gdbInside = false;
  private constructor(readonly path: string) {}

  /** How gdb names `file`: its bare name once gdb works in this directory. */
  nameForGdb(file: string): string {
    return this.gdbInside ? basename(file) : file;
  }

  /** Undefined when no plain private directory can be made: reads then all go through hex. */
  static create(): DumpDir | undefined {
    for (const parent of ['/dev/shm', tmpdir()]) {
      try {
        accessSync(parent, constants.W_OK);
        const dir = mkdtempSync(join(parent, 'mstat-dump-'));
        if (PLAIN_DUMP_PATH.test(dir)) return new DumpDir(dir);
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* try the next parent */
      }
    }
    return undefined;
  }

  /** A fresh file name: reads in flight together each get their own. */
  file(): string {
    return join(this.path, `r${this.next++}`);
  }

  /** The file's bytes; the file is gone afterwards. */
  take(file: string): Buffer {
    try {
      return readFileSync(file);
    } finally {
      this.discard(file);
    }
  }

  discard(file: string): void {
    try {
      unlinkSync(file);
    } catch {
      /* gdb failed before creating it */
    }
  }

  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
