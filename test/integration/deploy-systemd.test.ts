// The systemd unit (scripts/deploy/systemd/mstat-bridge@.service), as far as this machine
// allows: systemd is installed but not PID 1. `systemd-analyze verify` and `security` check the
// unit as systemd parses it and its hardening is asserted from the file. Then the unit's own
// ExecStart and Environment= start the installed tarball's bin the way systemd would start an
// instance: as the instance's user (setpriv), with CAP_SYS_PTRACE alone in its bounding, ambient
// and effective sets, no new privileges, the file system read-only but for the unit's
// State/CacheDirectory and a private /tmp (a mount namespace). It must read a Go program of
// that user and, on SIGTERM, SIGINT and SIGHUP (issue 16 item 1), detach it and close its port
// within 3 s. Not emulated: seccomp-free directives that only narrow the kernel interface
// (ProtectKernel*, RestrictNamespaces, …; systemd-analyze checks their syntax).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { isLoopback } from '../../bridge/config-schema.ts';
import { assertCleanStop } from '../support/clean-stop.ts';
import { createTempUser } from '../../scripts/kit/temp-user.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { globalInstall, installTarball, packTarball } from '../support/package-install.ts';
import { freePort } from '../../scripts/kit/ports.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';
import { environmentPairs, execWords, expandSpecifiers, parseUnit, unitValue, unitValues } from '../support/systemd-unit.ts';

const run = promisify(execFile);
const UNIT_FILE = join(import.meta.dirname, '..', '..', 'scripts', 'deploy', 'systemd', 'mstat-bridge@.service');
const unitText = readFileSync(UNIT_FILE, 'utf8');
const unit = parseUnit(unitText);
const svc = (key: string): string => unitValue(unit, 'Service', key);

t.setTimeout(600_000);
// Not under /tmp: the bridge gets a private /tmp over it. Readable by the instance's user.
const work = mkdtempSync('/var/tmp/mstat-systemd-');
chmodSync(work, 0o755);
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const prefix = join(work, 'prefix');
const installed = globalInstall(prefix);
const user = createTempUser();
t.teardown(() => user.remove());

t.before(async () => {
  const { tarball } = await packTarball(work);
  mkdirSync(prefix);
  await installTarball(tarball, prefix, { global: true });
});

/** The unit file as installed here: ExecStart's program is where the tarball's bin went. */
function installedUnit(): string {
  const program = execWords(svc('ExecStart'))[0]!;
  return unitText.split(program).join(installed.bin);
}

t.test('hardening: the directives issue 16 asks for, read from the unit file', async (t) => {
  t.equal(svc('NoNewPrivileges'), 'yes', 'NoNewPrivileges=yes');
  t.equal(svc('ProtectSystem'), 'strict', 'ProtectSystem=strict');
  t.equal(svc('CapabilityBoundingSet'), 'CAP_SYS_PTRACE', 'CapabilityBoundingSet: CAP_SYS_PTRACE only');
  t.equal(svc('AmbientCapabilities'), 'CAP_SYS_PTRACE', 'AmbientCapabilities: CAP_SYS_PTRACE');
  t.equal(svc('PrivateTmp'), 'yes', 'PrivateTmp=yes (gdb watch files, memory dumps)');
  t.equal(svc('KillMode'), 'mixed', 'KillMode=mixed: the bridge stops its gdb processes itself');
  t.equal(svc('User'), '%i', 'runs as the instance user, never root by default');
  t.same(unitValues(unit, 'Service', 'EnvironmentFile'), ['-/etc/mstat-bridge/%i.env'], "the operator's settings (token, targets) come from an optional env file");
  const env = new Map(environmentPairs(unitValues(unit, 'Service', 'Environment')));
  const listen = env.get('MSTAT_LISTEN') ?? '';
  t.ok(isLoopback(listen.replace(/:\d+$/, '')), `a loopback listen by default (${listen})`);
  const dirs = { S: '/var/lib', C: '/var/cache', i: 'NAME' };
  t.ok(expandSpecifiers(env.get('MSTAT_CACHE_DIR') ?? '', dirs).startsWith(join('/var/cache', expandSpecifiers(svc('CacheDirectory'), dirs))), 'the layout cache is in CacheDirectory');
  t.ok(expandSpecifiers(env.get('MSTAT_TOKEN_FILE') ?? '', dirs).startsWith(join('/var/lib', expandSpecifiers(svc('StateDirectory'), dirs)) + '/'), 'the token file is in StateDirectory');
});

t.test('systemd-analyze verify and security accept the unit', async (t) => {
  const dir = mkdtempSync(join(work, 'unit-'));
  writeFileSync(join(dir, 'mstat-bridge@.service'), installedUnit());
  const instance = `./mstat-bridge@${user.name}.service`;
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', instance], { cwd: dir, encoding: 'utf8' });
  t.equal(verify.status, 0, 'verify: exit 0');
  t.equal((verify.stdout + verify.stderr).trim(), '', 'verify: no warning (an ignored bad line only warns)');
  // The check is not vacuous: a misspelt value is reported.
  writeFileSync(join(dir, 'broken@.service'), installedUnit().replace('ProtectSystem=strict', 'ProtectSystem=strictly'));
  const broken = spawnSync('systemd-analyze', ['verify', '--man=no', `./broken@${user.name}.service`], { cwd: dir, encoding: 'utf8' });
  t.match(broken.stderr, /ProtectSystem|protect system/i, 'a bad value is reported');
  // --threshold counts in tenths of the printed level: 40 is "4.0", the top of OK.
  const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=40', '--no-pager', instance], { cwd: dir, encoding: 'utf8' });
  const level = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(security.stdout);
  t.equal(security.status, 0, `security: exposure ${level?.[1]} ${level?.[2]} within the threshold 4.0`);
  t.ok(level && Number(level[1]) <= 4, 'the level printed agrees');
});

/** The service's environment as systemd builds it: its own variables, Environment=, then the env file. */
function serviceEnv(dirs: Record<string, string>, envFile: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: `/home/${user.name}`, // the user's passwd entry: a home that does not exist
    USER: user.name,
    LOGNAME: user.name,
    STATE_DIRECTORY: join(dirs.S!, expandSpecifiers(svc('StateDirectory'), dirs)),
    CACHE_DIRECTORY: join(dirs.C!, expandSpecifiers(svc('CacheDirectory'), dirs)),
  };
  for (const [k, v] of environmentPairs(unitValues(unit, 'Service', 'Environment'))) env[k] = expandSpecifiers(v, dirs);
  return { ...env, ...envFile };
}

/** State and cache directories as systemd makes them: owned by the user, with the unit's modes. */
function serviceDirs(root: string): Record<string, string> {
  const dirs = { S: join(root, 'state'), C: join(root, 'cache'), i: user.name };
  for (const [base, key] of [[dirs.S, 'StateDirectory'], [dirs.C, 'CacheDirectory']] as const) {
    const dir = join(base, expandSpecifiers(svc(key), dirs));
    mkdirSync(dir, { recursive: true });
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, Number.parseInt(svc(`${key}Mode`), 8));
  }
  return dirs;
}

/**
 * ExecStart in the unit's sandbox: a private mount namespace where / is read-only except the
 * State/CacheDirectory (bind-mounted onto themselves first) and a fresh /tmp (PrivateTmp), in
 * / (a system service's working directory: the test's own may be under the hidden /tmp), then
 * setpriv to the user with the unit's capabilities and no_new_privs. unshare, sh and setpriv
 * all exec: the child's pid is the bridge's.
 */
function startService(dirs: Record<string, string>, env: NodeJS.ProcessEnv): ReturnType<typeof spawn> {
  const caps = svc('CapabilityBoundingSet').split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  const ambient = svc('AmbientCapabilities').split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  const exec = execWords(expandSpecifiers(installedUnit().match(/^ExecStart=(.*)$/m)![1]!, dirs));
  const sandbox = 'mount --bind "$1" "$1" && mount --bind "$2" "$2" && mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -o remount,bind,ro / && shift 2 && cd / && exec "$@"';
  const setpriv = ['setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', ...(svc('NoNewPrivileges') === 'yes' ? ['--nnp'] : []), `--bounding-set=-all,${caps}`, `--inh-caps=-all,${ambient}`, `--ambient-caps=-all,${ambient}`, '--'];
  // `env -i`: exactly the service's environment, also without what tap's process-info hook
  // adds to every child's (it would load itself into the bridge and write into this checkout).
  const clean = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  return spawn(clean[0]!, [...clean.slice(1), 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', sandbox, 'sh', dirs.S!, dirs.C!, ...setpriv, ...exec], { stdio: ['ignore', 'pipe', 'pipe'] });
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  t.test(`the unit's ExecStart as ${signal === 'SIGTERM' ? 'systemctl stop sends it' : 'a supervisor might'}: ${signal} detaches and closes within 3 s`, async (t) => {
    const go = await GoTarget.start(fixture(), ['-heartbeat', '0'], {}, { asUser: user });
    t.teardown(() => go.stop());
    const port = await freePort();
    const root = mkdtempSync(join(work, 'run-'));
    chmodSync(root, 0o755); // like /var/lib and /var/cache
    const dirs = serviceDirs(root);
    const env = serviceEnv(dirs, { MSTAT_LISTEN: `127.0.0.1:${port}`, MSTAT_SCRAPE_ATTACH: String(go.pid), MSTAT_SCRAPE_INTERVAL: '200' });
    const child = startService(dirs, env);
    let output = '';
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    t.teardown(() => child.kill('SIGKILL'));

    const tokenFile = env.MSTAT_TOKEN_FILE!;
    // The token the bridge made at first start in its StateDirectory (no env file token here).
    const metrics = async (): Promise<string> => {
      let token: string;
      try {
        token = readFileSync(tokenFile, 'utf8').trim();
      } catch {
        return ''; // not made yet
      }
      const r = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      return r?.ok ? r.text() : '';
    };
    const text = await until(async () => (child.exitCode !== null ? 'exited' : (await metrics()).includes(`go_memstats_heap_alloc_bytes{pid="${go.pid}"`) ? 'read' : ''), 60_000, 100);
    t.equal(text, 'read', `the bridge reads its user's Go program${text === 'read' ? '' : ` (${output.slice(-800)})`}`);
    if (text !== 'read') return;
    const now = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    t.match(now, new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'), 'as the instance user');
    t.match(now, /^CapEff:\s+0000000000080000$/m, 'with CAP_SYS_PTRACE alone');
    t.match(now, /^NoNewPrivs:\s+1$/m, 'and no new privileges');
    t.not(readProcStatus(go.pid)?.tracerPid ?? 0, 0, 'the target is attached');
    await assertCleanStop(t, child, { signal, port, targetPid: go.pid, output: () => output });
    t.equal((await go.command('memstats')).event, 'memstats', 'and answers');
    t.notMatch(output, /"level":[56]0/, 'no error logged (nothing it needs to write is read-only)');
  });
}
