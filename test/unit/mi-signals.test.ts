// bridge/mi/signals.ts on `info signals` tables recorded from gdb 13.1 through MI: the one our
// preamble leaves (every row but SIGTRAP nostop noprint pass) and gdb's defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseSignalTable, signalTableProblems } from '../../bridge/mi/signals.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'mi');
const passed = readFileSync(join(FIXTURES, 'info-signals-passed.txt'), 'utf8');
const defaults = readFileSync(join(FIXTURES, 'info-signals-default.txt'), 'utf8');

t.test('every row is read, names with and without SIG', async (t) => {
  const rows = parseSignalTable(passed);
  t.ok(rows.length > 140, `${rows.length} rows`);
  t.match(rows.find((r) => r.name === 'SIGTERM'), { stop: false, print: false, pass: true });
  t.match(rows.find((r) => r.name === 'SIGTRAP'), { stop: true, print: true, pass: false });
  t.ok(rows.some((r) => r.name === 'SIG40'), 'real-time signals');
  t.ok(rows.some((r) => r.name === 'EXC_BAD_ACCESS'), 'names without SIG');
  t.notOk(rows.some((r) => r.name === 'Signal'), 'not the header');
});

t.test('the preamble table has no problem; SIGTRAP is gdb\'s own', async (t) => {
  t.same(signalTableProblems(parseSignalTable(passed)), []);
});

t.test('gdb\'s defaults would stop or withhold: every such row is named', async (t) => {
  const problems = signalTableProblems(parseSignalTable(defaults));
  for (const p of ['SIGHUP stop print pass', 'SIGINT stop print nopass', 'SIGTERM stop print pass', 'SIGQUIT stop print pass', 'SIGPIPE stop print pass', 'SIGUSR1 stop print pass', 'SIGSEGV stop print pass']) {
    t.ok(problems.includes(p), p);
  }
  t.notOk(problems.some((p) => p.startsWith('SIGTRAP')), 'never SIGTRAP');
  t.notOk(problems.some((p) => p.startsWith('SIGURG')), 'SIGURG passes by default already');
});

t.test('one row changed is one problem', async (t) => {
  const one = passed.replace(/^SIGUSR2 +No\tNo\tYes/m, 'SIGUSR2       No\tYes\tNo');
  t.same(signalTableProblems(parseSignalTable(one)), ['SIGUSR2 nostop print nopass']);
});
