// A temporary unprivileged user (needs root), for the tests and benches that read or attack
// as another uid.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TempUser {
  name: string;
  uid: number;
  gid: number;
  remove(): void;
}

/** A temporary system user with its own group (needs root); `remove()` deletes both. */
export function createTempUser(): TempUser {
  const name = `mstat-test-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  let removed = false;
  const uid = id('-u');
  return {
    name,
    uid,
    gid: id('-g'),
    remove(): void {
      if (removed) return;
      removed = true;
      // Whatever still runs as the user (a bridge a failed test left) would make userdel refuse.
      spawnSync('pkill', ['-KILL', '-U', String(uid)]);
      for (let i = 0; i < 50 && spawnSync('pgrep', ['-U', String(uid)]).status === 0; i++) spawnSync('sleep', ['0.1']);
      execFileSync('userdel', [name], { stdio: 'pipe' });
    },
  };
}
