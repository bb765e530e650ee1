// A private sshd for the remote tests and bench-remote: temporary host and client keys, its own config, ports,
// PidFile and authorized_keys, and a client config file passed with -F. Nothing of the
// system's ssh configuration is read or touched. Optionally the sshd runs in its own network
// namespace (a veth pair with 10.x addresses), so the "remote host" is a different address.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempUser, type TempUser } from './temp-user.ts';
import { freePort } from './ports.ts';
import { descendants } from './process-tree.ts';

/** Host aliases of the client config; each exercises one situation. */
export const ALIAS = {
  /** root with an authorized key and a known host key */
  ok: 'mstat-ok',
  /** a key that is not in authorized_keys */
  badKey: 'mstat-badkey',
  /** an empty known_hosts */
  unknownHost: 'mstat-unknownhost',
  /** a port nobody listens on */
  closed: 'mstat-closed',
  /** sshd's second port, whose sessions get a PATH without gdbserver */
  noGdbserver: 'mstat-nogdbserver',
} as const;

/** Tools the remote scripts use: the restricted PATH has these and not gdbserver. */
const TOOLS = ['sh', 'bash', 'cat', 'id', 'od', 'tr', 'tail', 'head', 'grep', 'cut', 'base64', 'readlink', 'stat', 'timeout', 'dd', 'sleep', 'kill', 'ls', 'env'];

export interface SshdOptions {
  /** run sshd in a fresh network namespace (its own address); fails loudly if impossible */
  netns?: boolean;
}

export interface TestSshd {
  /** the address sshd listens on (127.0.0.1, or the namespace's 10.x address) */
  address: string;
  port: number;
  /** the ssh client config file (pass with -F / MSTAT_SSH_CONFIG) */
  config: string;
  dir: string;
  /** the listening sshd's pid */
  pid: number;
  /** the network namespace, when there is one */
  netns: string | undefined;
  /** the host side of the veth pair (take it down to cut the link) */
  hostIf: string | undefined;
  /** Adds an unprivileged user (shell /bin/sh) with its own key; returns the alias to reach it. */
  addUser(): Promise<{ alias: string; user: TempUser }>;
  /** sshd processes serving sessions (children of the listener). */
  sessionPids(): number[];
  /** Every process below the listening sshd (sessions, their shells, gdbserver). */
  descendants(): Array<{ pid: number; comm: string }>;
  /** Brings the veth link down or up (netns only). */
  setLink(up: boolean): void;
  close(): Promise<void>;
}


function keygen(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mstat-test', '-f', path], { stdio: 'pipe' });
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.error?.message || '').trim()}`);
}

/** The ssh client processes whose command line names `config` (ours run with -F config), with their argv. */
export function sshClientsUsing(config: string): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] && /(^|\/)ssh$/.test(argv[0]) && argv.includes(config)) out.push({ pid: Number(d), argv });
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

async function waitListening(host: string, port: number, netns: string | undefined, sshdLog: () => string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('data', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.setTimeout(3000, () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`sshd did not answer on ${host}:${port}${netns ? ` (netns ${netns})` : ''} within ${timeoutMs} ms; its log: ${sshdLog().trim().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a private sshd; `t.teardown` stops it and removes everything it created. */
export async function startSshd(t: { teardown(fn: () => unknown): void }, opts: SshdOptions = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'mstat-sshd-'));
  chmodSync(dir, 0o755); // the unprivileged test user's sshd session reads its key file from here
  const cleanups: Array<() => void> = [() => rmSync(dir, { recursive: true, force: true })];
  const cleanup = (): void => {
    for (const f of cleanups.reverse()) {
      try {
        f();
      } catch {
        /* best effort */
      }
    }
    cleanups.length = 0;
  };
  try {
    // sshd refuses to start without its privilege-separation directory (systemd makes it at boot).
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
    const hostPub = keygen(join(dir, 'host_key'));
    const clientPub = keygen(join(dir, 'client_key'));
    keygen(join(dir, 'other_key'));
    const akDir = join(dir, 'authorized_keys');
    mkdirSync(akDir, { mode: 0o755 });
    writeFileSync(join(akDir, 'root'), `${clientPub}\n`);
    writeFileSync(join(dir, 'known_hosts'), `mstat-test-host ${hostPub.split(' ').slice(0, 2).join(' ')}\n`);
    writeFileSync(join(dir, 'known_hosts.empty'), '');
    const bin = join(dir, 'bin-without-gdbserver');
    mkdirSync(bin);
    for (const tool of TOOLS) {
      const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (where.startsWith('/')) symlinkSync(where, join(bin, tool));
    }

    let netns: string | undefined;
    let hostIf: string | undefined;
    let address = '127.0.0.1';
    let port: number;
    let port2: number;
    let closedPort: number;
    const tag = randomBytes(3).toString('hex');
    if (opts.netns) {
      netns = `mstat-${tag}`;
      hostIf = `mst${tag}a`;
      const nsIf = `mst${tag}b`;
      const net = `10.${200 + (randomBytes(1)[0]! % 50)}.${randomBytes(1)[0]!}`;
      const hostAddr = `${net}.1`;
      address = `${net}.2`;
      try {
        run('ip', ['netns', 'add', netns]);
      } catch (err) {
        throw new Error(`cannot create a network namespace for the remote host (need root and CAP_SYS_ADMIN): ${(err as Error).message}`);
      }
      const ns = netns;
      cleanups.push(() => spawnSync('ip', ['netns', 'del', ns]));
      run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
      const hif = hostIf;
      cleanups.push(() => spawnSync('ip', ['link', 'del', hif]));
      run('ip', ['link', 'set', nsIf, 'netns', netns]);
      run('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
      run('ip', ['link', 'set', hostIf, 'up']);
      run('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsIf]);
      run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', nsIf, 'up']);
      // gdbserver listens on the namespace's own 127.0.0.1.
      run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
      // A fresh namespace has every port free; the closed port is one nobody listens on there.
      port = 22;
      port2 = 2222;
      closedPort = 2223;
    } else {
      port = await freePort();
      port2 = await freePort();
      closedPort = await freePort();
    }

    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        `Port ${port2}`,
        `ListenAddress ${address}`,
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${akDir}/%u`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'PrintMotd no',
        'PrintLastLog no',
        // A client that vanished (a cut link) is noticed within seconds, as a careful admin would set it.
        'ClientAliveInterval 2',
        'ClientAliveCountMax 3',
        'LogLevel VERBOSE',
        `Match LocalPort ${port2}`,
        `  SetEnv PATH=${bin}`,
        '',
      ].join('\n'),
    );
    const hostBlock = (alias: string, lines: string[]): string =>
      [
        `Host ${alias}`,
        `  HostName ${address}`,
        '  HostKeyAlias mstat-test-host',
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  UpdateHostKeys no',
        ...lines.map((l) => `  ${l}`),
        '',
      ].join('\n');
    const config = join(dir, 'ssh_config');
    writeFileSync(
      config,
      [
        hostBlock(ALIAS.ok, [`Port ${port}`, 'User root', `IdentityFile ${join(dir, 'client_key')}`, `UserKnownHostsFile ${join(dir, 'known_hosts')}`]),
        hostBlock(ALIAS.badKey, [`Port ${port}`, 'User root', `IdentityFile ${join(dir, 'other_key')}`, `UserKnownHostsFile ${join(dir, 'known_hosts')}`]),
        hostBlock(ALIAS.unknownHost, [`Port ${port}`, 'User root', `IdentityFile ${join(dir, 'client_key')}`, `UserKnownHostsFile ${join(dir, 'known_hosts.empty')}`]),
        hostBlock(ALIAS.closed, [`Port ${closedPort}`, 'User root', `IdentityFile ${join(dir, 'client_key')}`, `UserKnownHostsFile ${join(dir, 'known_hosts')}`]),
        hostBlock(ALIAS.noGdbserver, [`Port ${port2}`, 'User root', `IdentityFile ${join(dir, 'client_key')}`, `UserKnownHostsFile ${join(dir, 'known_hosts')}`]),
      ].join('\n'),
    );

    const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')];
    const child: ChildProcess = netns ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const sshdPid = child.pid!;
    const users: TempUser[] = [];
    cleanups.push(() => {
      // Sessions a failed test left behind would keep the user (and the namespace) busy.
      for (const d of descendants(sshdPid)) spawnSync('kill', ['-KILL', String(d.pid)]);
      child.kill('SIGKILL');
    });
    try {
      await Promise.race([
        waitListening(address, port, netns, () => log),
        exited.then(() => {
          throw new Error(`sshd exited at start: ${log.trim().slice(-1000)}`);
        }),
      ]);
    } catch (err) {
      throw err;
    }

    const sshd: TestSshd = {
      address,
      port,
      config,
      dir,
      pid: sshdPid,
      netns,
      hostIf,
      async addUser() {
        const user = createTempUser();
        users.push(user);
        const home = join(dir, `home-${user.name}`);
        mkdirSync(home, { mode: 0o755 });
        execFileSync('chown', [`${user.uid}:${user.gid}`, home]);
        // Without PAM, sshd refuses a locked account ('!' password); '*' is merely no password.
        execFileSync('usermod', ['--shell', '/bin/sh', '--home', home, '--password', '*', user.name], { stdio: 'pipe' });
        const key = join(dir, `key-${user.name}`);
        const pub = keygen(key);
        writeFileSync(join(akDir, user.name), `${pub}\n`);
        const alias = `mstat-user-${user.name}`;
        appendFileSync(config, hostBlock(alias, [`Port ${port}`, `User ${user.name}`, `IdentityFile ${key}`, `UserKnownHostsFile ${join(dir, 'known_hosts')}`]));
        return { alias, user };
      },
      sessionPids: () => descendants(sshdPid).filter((d) => d.comm === 'sshd').map((d) => d.pid),
      descendants: () => descendants(sshdPid),
      setLink(up) {
        if (!hostIf) throw new Error('setLink needs the netns variant');
        run('ip', ['link', 'set', hostIf, up ? 'up' : 'down']);
      },
      async close() {
        for (const u of users.splice(0)) {
          try {
            u.remove();
          } catch {
            /* best effort */
          }
        }
        const done = exited;
        cleanup();
        await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      },
    };
    t.teardown(() => sshd.close());
    return sshd;
  } catch (err) {
    cleanup();
    throw err;
  }
}
