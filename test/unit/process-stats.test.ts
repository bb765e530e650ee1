// bridge/access/proc/process-stats.ts and bridge/access/remote/remote-proc.ts: /proc text → the process
// collector's values, with procfs' arithmetic. The texts are real /proc output (a Go program
// named with spaces and parentheses, as comm allows).
import t from 'tap';
import { parseProcessStats, bootTimeOf, type ProcFiles } from '../../bridge/access/proc/process-stats.ts';
import { parseProcFilesOutput, procFilesScript } from '../../bridge/access/remote/remote-proc.ts';

const STAT = '41234 (my (odd) prog) S 1 41234 41234 0 -1 4194560 2619 0 0 0 1234 566 0 0 20 0 9 0 8835193 1601683456 2451 18446744073709551615 4194304 7032313 140725466787536 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 10813440 10896280 22138880 140725466790707 140725466790720 140725466790720 140725466791893 0\n';
const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max data size             unlimited            unlimited            bytes
Max stack size            8388608              unlimited            bytes
Max core file size        0                    unlimited            bytes
Max resident set          unlimited            unlimited            bytes
Max processes             95716                95716                processes
Max open files            20000                1048576              files
Max locked memory         8388608              8388608              bytes
Max address space         unlimited            unlimited            bytes
Max file locks            unlimited            unlimited            locks
Max pending signals       95716                95716                signals
Max msgqueue size         819200               819200               bytes
Max nice priority         0                    0
Max realtime priority     0                    0
Max realtime timeout      unlimited            unlimited            us
`;
const NETSTAT = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed
TcpExt: 0 0 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets
IpExt: 0 0 0 0 0 0 7242526799 4994878721 0
`;
const files: ProcFiles = { stat: STAT, limits: LIMITS, netstat: NETSTAT, openFds: 11, bootTime: 1796360000, pageSize: 4096 };
const at = new Date(Date.UTC(2026, 11, 5, 6, 0, 0));

t.test('stat, limits and netstat as procfs reads them', async (t) => {
  const p = parseProcessStats(files, at);
  t.equal(p.cpuSeconds, (1234 + 566) / 100, 'utime + stime over USER_HZ (fields 14, 15 after a comm with spaces and parentheses)');
  t.equal(p.startTimeSeconds, 1796360000 + 8835193 / 100, 'btime + starttime / USER_HZ');
  t.equal(p.virtualBytes, 1601683456n, 'vsize');
  t.equal(p.residentBytes, 2451n * 4096n, 'rss pages × page size');
  t.equal(p.maxFds, 20000n, 'soft open-files limit, not the hard one');
  t.equal(p.virtualMaxBytes, (1n << 64n) - 1n, '"unlimited" address space is 2^64−1, as procfs has it');
  t.equal(p.openFds, 11);
  t.equal(p.networkReceiveBytes, 7242526799n);
  t.equal(p.networkTransmitBytes, 4994878721n);
  t.equal(p.time, at.toISOString());
});

t.test('no netstat: the network counters are absent, the rest is there', async (t) => {
  const p = parseProcessStats({ ...files, netstat: undefined }, at);
  t.equal(p.networkReceiveBytes, undefined);
  t.equal(p.networkTransmitBytes, undefined);
  t.equal(p.openFds, 11);
});

t.test('a stat line that is not one throws (the caller then reports no process stats)', async (t) => {
  t.throws(() => parseProcessStats({ ...files, stat: '41234 (prog) S 1' }, at), /field 14/);
});

t.test('btime of /proc/stat', async (t) => {
  t.equal(bootTimeOf('cpu  1 2 3\nintr 5\nctxt 99\nbtime 1796360000\nprocesses 7\n'), 1796360000);
  t.throws(() => bootTimeOf('cpu 1 2 3\n'), /btime/);
});

t.test('the remote script: fixed text and the pid only, and its output parsed back', async (t) => {
  const script = procFilesScript(41234);
  t.match(script, /^exec sh -c '/, 'run by the login shell as sh');
  t.match(script, /\/proc\/41234/, 'the pid');
  t.throws(() => procFilesScript(-1), RangeError, 'only a non-negative integer gets into the script');
  const out = `@@stat\n${STAT}@@limits\n${LIMITS}@@netstat\n${NETSTAT}@@fds\n11\n@@procstat\nbtime 1796360000\n@@pagesize\n4096\n@@end\n`;
  const parsed = parseProcFilesOutput(out);
  t.ok(parsed, 'parsed');
  t.strictSame(parseProcessStats(parsed!, at), parseProcessStats(files, at), 'the same values as a local read of the same files');
  t.equal(parseProcFilesOutput('@@gone\n'), undefined, 'the process is gone');
  t.equal(parseProcFilesOutput(out.replace('@@end\n', '')), undefined, 'cut short (the link dropped)');
  t.equal(parseProcFilesOutput(out.replace('@@fds\n11\n', '@@fds\nunreadable\n')), undefined, '/proc/PID/fd not readable by the ssh user');
});
