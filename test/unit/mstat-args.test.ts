// clients/cli/args.ts, exit-codes.ts, bridge-connect.ts (the pure parts): every command
// line form, every refusal, and the mapping of internal and wire codes onto exit statuses.
import t from 'tap';
import { parseCommand, UsageError } from '../../clients/cli/args.ts';
import { describeConnectFailure } from '../../clients/cli/bridge-connect.ts';
import { EXIT, exitForLocalCode, exitForWireCode } from '../../clients/cli/exit-codes.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';

const local = { kind: 'local' } as const;

t.test('the forms', async (t) => {
  t.same(parseCommand(['--help']), { kind: 'help' });
  t.same(parseCommand(['--version']), { kind: 'version' });
  t.same(parseCommand(['-V']), { kind: 'version' });
  t.same(parseCommand(['--pid', '42']), { kind: 'read', target: { kind: 'pid', pid: 42, exe: undefined }, format: 'json', mode: 'live', via: local, logLevel: 'warn' });
  t.same(parseCommand(['--pid', '42', '--format', 'prom', '--mode', 'consistent', '--exe', '/x']), { kind: 'read', target: { kind: 'pid', pid: 42, exe: '/x' }, format: 'prom', mode: 'consistent', via: local, logLevel: 'warn' });
  t.same(parseCommand(['--pid', '42', '--watch']), { kind: 'watch', target: { kind: 'pid', pid: 42, exe: undefined }, mode: 'live', intervalMs: 1000, count: undefined, via: local, logLevel: 'warn' });
  t.same(parseCommand(['--pid', '42', '--watch', '--interval', '500ms', '--count', '3']), { kind: 'watch', target: { kind: 'pid', pid: 42, exe: undefined }, mode: 'live', intervalMs: 500, count: 3, via: local, logLevel: 'warn' });
  t.match(parseCommand(['--pid', '42', '--watch', '--interval', '2m']), { intervalMs: 120_000 });
  t.match(parseCommand(['--pid', '42', '--watch', '--interval', '250']), { intervalMs: 250 }, 'plain milliseconds');
  t.same(parseCommand(['--list']), { kind: 'list', format: 'text', via: local, logLevel: 'warn' });
  t.same(parseCommand(['--list', '--format', 'json', '--bridge', 'ws://h:1', '--token', 'tk']), { kind: 'list', format: 'json', via: { kind: 'bridge', url: 'ws://h:1', token: 'tk' }, logLevel: 'warn' });
  t.match(parseCommand(['--pid', '7', '--bridge', 'ws://h:1'], { MSTAT_TOKEN: 'from-env' }), { via: { kind: 'bridge', token: 'from-env' } }, '$MSTAT_TOKEN');
  t.match(parseCommand(['--pid', '7', '--bridge', 'ws://h:1', '--token', 'flag'], { MSTAT_TOKEN: 'env' }), { via: { token: 'flag' } }, '--token wins over the environment');
  t.match(parseCommand(['--pid', '7', '--bridge', 'ws://h:1'], { MSTAT_TOKEN: '' }), { via: { token: undefined } }, 'an empty $MSTAT_TOKEN is no token');
});

t.test('refusals', async (t) => {
  const refused = (argv: string[], re: RegExp, showUsage = false): void => {
    let err: unknown;
    try {
      parseCommand(argv);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof UsageError, `${argv.join(' ')}: a UsageError`);
    t.match((err as Error).message, re, `${argv.join(' ')}: ${re}`);
    t.equal((err as UsageError).showUsage, showUsage, `${argv.join(' ')}: usage ${showUsage ? '' : 'not '}shown`);
  };
  refused([], /--pid PID is required/, true);
  refused(['--pid', '0'], /--pid PID is required/, true);
  refused(['--pid', '12x'], /--pid PID is required/, true);
  refused(['--pid', '1', '--nope'], /--nope/, true);
  refused(['--pid', '1', 'extra'], /extra/, true);
  refused(['--pid', '1', '--format', 'xml'], /json, text or pprof, or prom .*'xml'/);
  refused(['--pid', '1', '--mode', 'fast'], /live or consistent/);
  refused(['--pid', '1', '--log-level', 'loud'], /--log-level/);
  refused(['--pid', '1', '--watch', '--format', 'text'], /--watch draws its own view/);
  refused(['--pid', '1', '--watch', '--interval', '9ms'], /--interval .* from 10ms to 1h/);
  refused(['--pid', '1', '--watch', '--interval', '2h'], /--interval/);
  refused(['--pid', '1', '--watch', '--count', '0'], /--count must be a positive integer/);
  refused(['--pid', '1', '--count', '2'], /--count goes with --watch/);
  refused(['--pid', '1', '--token', 'x'], /--token goes with --bridge/);
  refused(['--pid', '1', '--bridge', 'ws://h:1', '--exe', '/x'], /--exe cannot be used with --bridge/);
  refused(['--pid', '1', '--bridge', 'h:1'], /--bridge must be a ws/);
  refused(['--list', '--watch'], /--list takes no --watch/);
  refused(['--list', '--mode', 'live'], /--list takes no --mode/);
  refused(['--list', '--format', 'pprof'], /text or json/);
});

t.test('exit statuses: internal and wire codes agree', async (t) => {
  const pairs: Array<[string, string, number]> = [
    ['GO_ERR_NO_SUCH_PROCESS', 'NO_SUCH_PROCESS', EXIT.notReadable],
    ['GO_ERR_NOT_GO', 'NOT_GO', EXIT.notReadable],
    ['GO_ERR_NO_SYMBOLS', 'NO_SYMBOLS', EXIT.notReadable],
    ['GO_ERR_NO_DWARF', 'NO_SYMBOLS', EXIT.notReadable],
    ['GO_ERR_UNSUPPORTED_VERSION', 'UNSUPPORTED', EXIT.notReadable],
    ['GO_ERR_PTRACE_DENIED', 'PERMISSION_DENIED', EXIT.ptrace],
    ['MI_ERR_GDB_MISSING', 'GDB_FAILED', EXIT.gdb],
    ['GO_ERR_TARGET_EXITED', 'TARGET_EXITED', EXIT.failed],
    ['GO_ERR_READ_FAILED', 'READ_FAILED', EXIT.failed],
  ];
  for (const [internal, wire, code] of pairs) {
    t.equal(exitForLocalCode(internal), code, `${internal} → ${code}`);
    t.equal(exitForWireCode(wire), code, `${wire} → ${code}`);
  }
  t.equal(exitForLocalCode('GO_ERR_BUILD_ID_MISMATCH'), EXIT.buildId);
  for (const c of ['CONNECT_FAILED', 'DISCONNECTED', 'TIMEOUT']) t.equal(exitForWireCode(c), EXIT.bridge, `${c} → 7`);
  for (const c of Object.keys(ERROR_CODES)) t.ok(Object.values(EXIT).includes(exitForWireCode(c) as never), `wire ${c} → a documented status`);
  t.equal(exitForWireCode('SOMETHING_NEW'), EXIT.failed, 'an unknown code is 1');
});

t.test('a failed connection in words', async (t) => {
  t.match(describeConnectFailure('Unexpected server response: 401'), /401.*token.*--token/);
  t.match(describeConnectFailure('Unexpected server response: 404'), /404.*\/v1\/ws/);
  t.match(describeConnectFailure('connect ECONNREFUSED 127.0.0.1:1'), /connection refused.*running/);
  t.match(describeConnectFailure('getaddrinfo ENOTFOUND nohost'), /host not found/);
  t.match(describeConnectFailure('Opening handshake has timed out'), /no answer within 10 s/);
  t.match(describeConnectFailure(undefined), /closed before it opened/);
});
