// Is there a gdb, and is it new enough: `gdb --version`, remembered per gdb file.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../cache-dir.ts';
import { MiError, MiErrorCode } from './errors.ts';
import { MIN_GDB, parseGdbVersion, versionAtLeast, type GdbVersion } from './version.ts';

/** Runs `gdb --version`; a missing or too old gdb is a coded error with the fix in it. */
export async function checkGdb(gdbPath: string): Promise<GdbVersion> {
  let out: string;
  const identity = fileIdentity(gdbPath);
  try {
    out = (identity && knownVersionOutput(identity)) ?? (await execa(gdbPath, ['--version'], { timeout: 10_000, stdin: 'ignore' })).stdout;
  } catch (err) {
    throw new MiError(
      MiErrorCode.GDB_MISSING,
      `gdb not found or not runnable ('${gdbPath} --version' failed); install it (Debian: apt-get install gdb) or set MSTAT_GDB to its path`,
      { cause: err },
    );
  }
  const v = parseGdbVersion(out);
  if (!v) throw new MiError(MiErrorCode.GDB_UNSUPPORTED, `'${gdbPath}' does not look like GNU gdb: ${out.split('\n', 1)[0]}`);
  if (!versionAtLeast(v, MIN_GDB.major, MIN_GDB.minor)) {
    throw new MiError(MiErrorCode.GDB_UNSUPPORTED, `gdb ${v.major}.${v.minor} is too old; mstat-bridge needs gdb >= ${MIN_GDB.major}.${MIN_GDB.minor}`);
  }
  if (identity) rememberVersionOutput(identity, out);
  return v;
}

// `gdb --version` costs 80-110 ms, as much as the rest of a one-shot's gdb startup: its
// output is remembered per gdb file (real path, inode, size, mtime), in this process and in
// the cache directory, and asked again whenever the file changes.
const knownVersions = new Map<string, string>();
const versionCacheFile = (): string => join(cacheDir(), 'gdb-version.json');

function fileIdentity(gdbPath: string): string | undefined {
  try {
    const dirs = gdbPath.includes('/') ? [''] : (process.env.PATH ?? '').split(':').filter(Boolean);
    for (const d of dirs) {
      const p = d === '' ? gdbPath : join(d, gdbPath);
      if (!existsSync(p)) continue;
      const real = realpathSync(p);
      const st = statSync(real);
      if (!st.isFile()) continue;
      return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
    }
  } catch {
    /* not identifiable: always ask gdb */
  }
  return undefined;
}

function knownVersionOutput(identity: string): string | undefined {
  const inMemory = knownVersions.get(identity);
  if (inMemory !== undefined) return inMemory;
  try {
    const onDisk = (JSON.parse(readFileSync(versionCacheFile(), 'utf8')) as Record<string, unknown>)[identity];
    return typeof onDisk === 'string' ? onDisk : undefined;
  } catch {
    return undefined;
  }
}

function rememberVersionOutput(identity: string, out: string): void {
  if (knownVersions.get(identity) === out) return;
  knownVersions.set(identity, out);
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    const tmp = `${versionCacheFile()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ [identity]: out }) + '\n', { mode: 0o600 });
    renameSync(tmp, versionCacheFile());
  } catch {
    /* a read-only cache only costs the check next time */
  }
}
