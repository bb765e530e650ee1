// The bridge's token at rest: made at first start (32 random bytes), kept in a file only its
// owner can read, so that every client running as that user finds it and no other local user
// can. The bridge and `mstat --bridge` both read it; `mstat-bridge --no-auth` opts out.
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `$XDG_CONFIG_HOME/mstat-bridge/token`, else `~/.config/mstat-bridge/token`. */
export function defaultTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'mstat-bridge', 'token');
}

/** A token read from `file`: its first line, at least 8 characters. */
function parse(file: string, text: string): string {
  const token = text.split('\n', 1)[0]!.trim();
  if (token.length < 8) throw new Error(`${file}: not a token (fewer than 8 characters on its first line); delete it to have a new one made`);
  return token;
}

/**
 * The token in `file`, made there (directory 0700, file 0600, never over an existing one)
 * when there is none. An existing file must belong to us and be closed to others, or the
 * token would not be a secret: refused with the fix in the message.
 */
export function loadOrCreateToken(file: string): string {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64url') + '\n');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot make the token file ${file}: ${(err as Error).message}`);
  }
  const st = statSync(file);
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${file} belongs to uid ${st.uid}, not to this bridge's uid ${uid}; use your own --token-file`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${file} can be read by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it, or delete it to have a new one made`);
  return parse(file, readFileSync(file, 'utf8'));
}

/** A client's view: the token in `file` if it can read one there, else undefined. */
export function readTokenFile(file: string): string | undefined {
  try {
    return parse(file, readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
