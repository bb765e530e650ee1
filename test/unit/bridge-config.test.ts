// bridge/config.ts: every option from a flag and from its variable, flag > env > default,
// one-line refusals of bad values; and the real `mstat-bridge` binary's --help and exit 2.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { configFromArgs, infoRequest, OPTIONS } from '../../bridge/config.ts';
import { type Config } from '../../bridge/config-schema.ts';
import { cliEnv, REPO_ROOT } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mstat-bridge-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const exeA = join(dir, 'app-a');
const exeB = join(dir, 'app-b');
writeFileSync(exeA, '#!/bin/sh\n', { mode: 0o755 });
writeFileSync(exeB, '#!/bin/sh\n', { mode: 0o755 });
symlinkSync(exeA, join(dir, 'link-to-a'));
const sshCfg = join(dir, 'ssh_config');
writeFileSync(sshCfg, 'Host *\n');
const notExecutable = join(dir, 'plain');
writeFileSync(notExecutable, 'x', { mode: 0o644 });
const cache = join(dir, 'cache');
mkdirSync(cache);

/** Every option: flag, variable, a good value, what it parses to, and a bad value. */
const CASES: Array<{ flag: string; env: string; value: string; key: keyof Config; want: unknown; other: string; otherWant: unknown; bad: string[] }> = [
  { flag: 'listen', env: 'MSTAT_LISTEN', value: '127.0.0.2:9000', key: 'port', want: 9000, other: '127.0.0.1:9001', otherWant: 9001, bad: ['nope', '127.0.0.1:70000', ':80'] },
  { flag: 'allow-hosts', env: 'MSTAT_ALLOW_HOSTS', value: 'Bridge.Example, mon.lan', key: 'allowHosts', want: ['bridge.example', 'mon.lan'], other: 'x', otherWant: ['x'], bad: ['a b', 'evil.example:80', ',', '-x'] },
  { flag: 'token-file', env: 'MSTAT_TOKEN_FILE', value: '/etc/mstat/token', key: 'tokenFile', want: '/etc/mstat/token', other: 'rel/token', otherWant: resolve('rel/token'), bad: [] },
  { flag: 'token', env: 'MSTAT_TOKEN', value: 'flag-token-1', key: 'token', want: 'flag-token-1', other: 'env-token-22', otherWant: 'env-token-22', bad: ['short'] },
  { flag: 'scrape-attach', env: 'MSTAT_SCRAPE_ATTACH', value: `10, 20=${exeA}, /srv/app/bin/server`, key: 'scrapeAttach', want: [{ pid: 10 }, { pid: 20, exe: exeA }, { program: '/srv/app/bin/server' }], other: '30', otherWant: [{ pid: 30 }], bad: ['1,x', '0', ',', '-5', `7=${join(dir, 'missing')}`, `7=${dir}`, '7=', 'bin/server', '/srv/../etc/x', '//srv/app', '/srv/app/', '/srv/a\tb'] },
  { flag: 'scrape-interval', env: 'MSTAT_SCRAPE_INTERVAL', value: '250', key: 'scrapeIntervalMs', want: 250, other: '750', otherWant: 750, bad: ['abc', '5', '1.5', '-100', '99999999999'] },
  { flag: 'allow-pids', env: 'MSTAT_ALLOW_PIDS', value: '1,2', key: 'allowPids', want: [1, 2], other: '3', otherWant: [3], bad: ['a', '1;2', '0'] },
  { flag: 'allow-exes', env: 'MSTAT_ALLOW_EXES', value: `${join(dir, 'link-to-a')},${exeB}`, key: 'allowExes', want: [exeA, exeB], other: exeB, otherWant: [exeB], bad: [join(dir, 'missing'), `${exeA},,${exeB}`, dir] },
  { flag: 'max-subscriptions', env: 'MSTAT_MAX_SUBSCRIPTIONS', value: '5', key: 'maxSubscriptions', want: 5, other: '7', otherWant: 7, bad: ['0', 'many', '100001'] },
  { flag: 'max-connections', env: 'MSTAT_MAX_CONNECTIONS', value: '10', key: 'maxConnections', want: 10, other: '11', otherWant: 11, bad: ['0', 'x', '100001'] },
  { flag: 'max-connections-per-address', env: 'MSTAT_MAX_CONNECTIONS_PER_ADDRESS', value: '2', key: 'maxConnectionsPerAddress', want: 2, other: '3', otherWant: 3, bad: ['0', '-1'] },
  { flag: 'max-targets', env: 'MSTAT_MAX_TARGETS', value: '4', key: 'maxTargets', want: 4, other: '5', otherWant: 5, bad: ['0', '10001'] },
  { flag: 'max-frames-per-second', env: 'MSTAT_MAX_FRAMES_PER_SECOND', value: '20', key: 'maxFramesPerSecond', want: 20, other: '21', otherWant: 21, bad: ['0', '1.5'] },
  { flag: 'max-lists-per-minute', env: 'MSTAT_MAX_LISTS_PER_MINUTE', value: '6', key: 'maxListsPerMinute', want: 6, other: '7', otherWant: 7, bad: ['0', 'many'] },
  { flag: 'max-buffered-bytes', env: 'MSTAT_MAX_BUFFERED_BYTES', value: '65536', key: 'maxBufferedBytes', want: 65536, other: '4096', otherWant: 4096, bad: ['1', '1e6', '64k'] },
  { flag: 'linger', env: 'MSTAT_LINGER', value: '0', key: 'lingerMs', want: 0, other: '50', otherWant: 50, bad: ['-1', 'soon', '3600001'] },
  { flag: 'heartbeat', env: 'MSTAT_HEARTBEAT', value: '1000', key: 'heartbeatMs', want: 1000, other: '2000', otherWant: 2000, bad: ['0', '99', 'x'] },
  { flag: 'ssh-config', env: 'MSTAT_SSH_CONFIG', value: sshCfg, key: 'sshConfig', want: sshCfg, other: sshCfg, otherWant: sshCfg, bad: [join(dir, 'missing'), dir] },
  { flag: 'ssh-program', env: 'MSTAT_SSH', value: '/bin/true', key: 'sshProgram', want: '/bin/true', other: 'ssh', otherWant: 'ssh', bad: [notExecutable, '/nonexistent/ssh', '-oProxyCommand=x', 'a b'] },
  { flag: 'gdb', env: 'MSTAT_GDB', value: '/bin/true', key: 'gdbPath', want: '/bin/true', other: 'gdb-multiarch', otherWant: 'gdb-multiarch', bad: [notExecutable, '/nonexistent/gdb', '$(reboot)'] },
  { flag: 'gdb-recycle-mib', env: 'MSTAT_GDB_RECYCLE_MIB', value: '0', key: 'gdbRecycleMiB', want: 0, other: '256', otherWant: 256, bad: ['-1', 'big', '1.5'] },
  { flag: 'gdb-recycle-samples', env: 'MSTAT_GDB_RECYCLE_SAMPLES', value: '100000', key: 'gdbRecycleSamples', want: 100000, other: '0', otherWant: 0, bad: ['-1', 'x', '1e3'] },
  { flag: 'cache-dir', env: 'MSTAT_CACHE_DIR', value: cache, key: 'cacheDir', want: cache, other: join(dir, 'not-yet'), otherWant: join(dir, 'not-yet'), bad: [exeA] },
  { flag: 'log-level', env: 'MSTAT_LOG_LEVEL', value: 'debug', key: 'logLevel', want: 'debug', other: 'warn', otherWant: 'warn', bad: ['loud', 'INFO'] },
];

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const c = configFromArgs(argv, env);
  if (!c) throw new Error('unexpected --help');
  return c;
};

const refusal = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    configFromArgs(argv, env);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return err.message;
  }
  return '';
};

t.test('the table covers every option', async (t) => {
  t.same(OPTIONS.map((o) => o.flag).sort(), [...CASES.map((c) => c.flag), 'same-uid', 'no-auth'].sort());
  for (const o of OPTIONS) t.match(o.env, /^MSTAT_[A-Z_]+$/, `--${o.flag} has an environment variable (${o.env})`);
  for (const c of CASES) t.equal(OPTIONS.find((o) => o.flag === c.flag)?.env, c.env, `--${c.flag} ↔ ${c.env}`);
});

t.test('defaults', async (t) => {
  const c = parse([]);
  t.match(c, {
    host: '127.0.0.1', port: 7070, token: undefined, allowHosts: [], scrapeAttach: [], scrapeIntervalMs: 5000, allowPids: undefined, allowExes: undefined,
    sameUid: false, sshConfig: undefined, sshProgram: undefined, gdbPath: undefined, cacheDir: undefined, logLevel: 'info',
    maxSubscriptions: 64, maxBufferedBytes: 1 << 20, lingerMs: 2000, heartbeatMs: 15_000,
  });
  t.ok(Object.isFrozen(c), 'frozen');
  t.equal(configFromArgs(['--help'], {}), undefined, '--help');
  t.equal(configFromArgs(['-h'], {}), undefined, '-h');
  t.equal(configFromArgs(['--version'], {}), undefined, '--version');
  t.equal(infoRequest(['--log-level', 'debug', '--version']), 'version');
  t.equal(infoRequest(['-V', '--help']), 'version', 'the first wins');
  t.equal(infoRequest(['-h']), 'help');
  t.equal(infoRequest(['--listen', '127.0.0.1:7070']), undefined);
});

t.test('each option from its flag, from its variable, and the flag wins', async (t) => {
  for (const c of CASES) {
    t.same(parse([`--${c.flag}`, c.value])[c.key], c.want, `--${c.flag} ${c.value}`);
    t.same(parse([], { [c.env]: c.other })[c.key], c.otherWant, `${c.env}=${c.other}`);
    t.same(parse([`--${c.flag}`, c.value], { [c.env]: c.other })[c.key], c.want, `--${c.flag} wins over ${c.env}`);
    t.same(parse([`--${c.flag}=${c.value}`], { [c.env]: c.other })[c.key], c.want, `--${c.flag}=VALUE form`);
  }
  t.equal(parse([], { MSTAT_LISTEN: '127.0.0.2:9000' }).host, '127.0.0.2');
  t.same(parse(['--listen', '[::1]:8080']), { ...parse([]), host: '::1', port: 8080 }, 'IPv6 loopback in brackets');
  t.equal(parse([], { MSTAT_TOKEN: '' }).token, undefined, 'an empty variable counts as unset');
});

t.test('--same-uid and MSTAT_SAME_UID', async (t) => {
  t.equal(parse(['--same-uid']).sameUid, true);
  for (const v of ['1', 'true', 'YES', 'on']) t.equal(parse([], { MSTAT_SAME_UID: v }).sameUid, true, `MSTAT_SAME_UID=${v}`);
  for (const v of ['0', 'false', 'no', 'off']) t.equal(parse([], { MSTAT_SAME_UID: v }).sameUid, false, `MSTAT_SAME_UID=${v}`);
  t.equal(parse(['--same-uid'], { MSTAT_SAME_UID: 'no' }).sameUid, true, 'the flag wins over the variable');
  t.match(refusal([], { MSTAT_SAME_UID: 'maybe' }), /^MSTAT_SAME_UID must be 1\/true\/yes\/on or 0\/false\/no\/off \(got 'maybe'\)$/);
  t.match(refusal(['--same-uid=yes']), /same-uid/, 'the switch takes no value');
});

t.test('--no-auth: the explicit opt-out, loopback only, alone', async (t) => {
  t.equal(parse([]).noAuth, false, 'a token by default');
  t.equal(parse(['--no-auth']).noAuth, true);
  t.equal(parse([], { MSTAT_NO_AUTH: 'yes' }).noAuth, true, 'MSTAT_NO_AUTH=yes');
  t.match(refusal(['--no-auth', '--listen', '0.0.0.0:7070']), /^--no-auth is for a loopback address only/);
  t.match(refusal(['--no-auth', '--token', 'long-enough-token']), /--no-auth goes with neither --token nor --token-file/);
  t.match(refusal(['--no-auth', '--token-file', '/tmp/x']), /--no-auth goes with neither/);
  t.doesNotThrow(() => parse(['--listen', '0.0.0.0:7070']), 'a non-loopback address with the default token file is fine');
});

t.test('bad values: one line naming the flag or the variable', async (t) => {
  for (const c of CASES) {
    for (const b of c.bad) {
      const viaFlag = refusal([`--${c.flag}=${b}`]); // `=`: parseArgs takes a value starting with - only this way
      t.match(viaFlag, new RegExp(`^--${c.flag}\\b`), `--${c.flag} ${b}: ${viaFlag}`);
      t.notMatch(viaFlag, /\n/, 'one line');
      const viaEnv = refusal([], { [c.env]: b });
      t.match(viaEnv, new RegExp(`^${c.env}\\b`), `${c.env}=${b}: ${viaEnv}`);
      // A good flag hides a bad variable: it is never read.
      t.doesNotThrow(() => parse([`--${c.flag}`, c.value], { [c.env]: b }), `--${c.flag} ${c.value} with ${c.env}=${b}`);
    }
  }
  t.match(refusal(['--linger', 'abc']), /^--linger must be an integer from 0 to 3600000 \(got 'abc'\)$/);
  t.match(refusal(['--linger']), /--linger/, 'a missing value');
  t.match(refusal(['--frobnicate']), /^Unknown option '--frobnicate'$/);
  t.match(refusal(['extra']), /extra/, 'positional arguments are refused');
  t.match(refusal(['--listen', '0.0.0.0:7070', '--no-auth']), /^--no-auth is for a loopback address only/, 'no open bridge beyond loopback');
  t.equal(parse(['--listen', '0.0.0.0:7070'], { MSTAT_TOKEN: 'abcdefgh' }).host, '0.0.0.0', 'a token from the environment counts');
});

t.test('the mstat-bridge binary: --help names every flag and variable; a bad value exits 2 with one line', async (t) => {
  const bin = join(REPO_ROOT, 'scripts', 'bin', 'mstat-bridge.js');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: REPO_ROOT, env: cliEnv(env), encoding: 'utf8', timeout: 60_000 });
  const help = run(['--help']);
  t.equal(help.status, 0, '--help exits 0');
  const flags = ['--listen', '--allow-hosts', '--token', '--scrape-attach', '--scrape-interval', '--allow-pids', '--allow-exes', '--same-uid', '--max-subscriptions', '--max-connections', '--max-connections-per-address', '--max-targets', '--max-frames-per-second', '--max-lists-per-minute', '--max-buffered-bytes', '--linger', '--heartbeat', '--ssh-config', '--ssh-program', '--gdb', '--cache-dir', '--log-level', '--help'];
  const envs = ['MSTAT_LISTEN', 'MSTAT_TOKEN', 'MSTAT_SCRAPE_ATTACH', 'MSTAT_SCRAPE_INTERVAL', 'MSTAT_ALLOW_PIDS', 'MSTAT_ALLOW_EXES', 'MSTAT_SAME_UID', 'MSTAT_MAX_SUBSCRIPTIONS', 'MSTAT_MAX_BUFFERED_BYTES', 'MSTAT_LINGER', 'MSTAT_HEARTBEAT', 'MSTAT_SSH_CONFIG', 'MSTAT_SSH', 'MSTAT_GDB', 'MSTAT_CACHE_DIR', 'MSTAT_LOG_LEVEL'];
  for (const f of [...flags, ...OPTIONS.map((o) => `--${o.flag}`)]) t.match(help.stdout, new RegExp(`^\\s+${f}\\b`, 'm'), `--help lists ${f}`);
  for (const e of [...envs, ...OPTIONS.map((o) => o.env)]) t.match(help.stdout, new RegExp(`\\b${e}\\b`), `--help names ${e}`);
  t.equal(help.stderr, '', 'nothing on stderr');

  for (const [args, env, re] of [
    [['--linger', 'abc'], {}, /^mstat-bridge: --linger must be an integer/],
    [[], { MSTAT_HEARTBEAT: '-5' }, /^mstat-bridge: MSTAT_HEARTBEAT must be an integer/],
    [['--allow-exes', '/nonexistent/x'], {}, /^mstat-bridge: --allow-exes: \/nonexistent\/x: no such file/],
    [['--bogus'], {}, /^mstat-bridge: Unknown option '--bogus'/],
  ] as const) {
    const r = run([...args], { ...env });
    t.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: exit 2`);
    t.match(r.stderr, re);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr.trim()}`);
    t.equal(r.stdout, '', 'nothing on stdout');
  }
});
