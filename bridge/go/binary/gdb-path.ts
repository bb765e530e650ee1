// A file name gdb reads as exactly that file. gdb re-parses the paths it is given: `file`
// splits its text with buildargv and then expands `~` at the start of a word and after a
// blank (readline's tilde_expand), a trailing blank is dropped, and `target core` takes the
// rest of the line verbatim. No escaping survives all of that, so a path with anything but
// plain characters is handed over as a symlink with a plain name in a private directory,
// pointing at the file that was checked: gdb opens what we checked, whatever its name.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Characters no gdb parsing step changes. */
const PLAIN = /^\/[A-Za-z0-9_./+=@%,-]*$/;

export interface GdbPath {
  /** the name to give gdb */
  path: string;
  /** removes the private symlink, if one was made */
  dispose(): Promise<void>;
}

export async function gdbPath(file: string): Promise<GdbPath> {
  if (PLAIN.test(file)) return { path: file, dispose: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'mstat-path-'));
  const link = join(dir, 'file');
  await symlink(file, link);
  return { path: link, dispose: () => rm(dir, { recursive: true, force: true }) };
}
