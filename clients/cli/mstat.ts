// mstat: exact runtime.MemStats of a running Go process, from the outside: one reading, a
// live view (--watch) or the host's Go processes (--list); locally through gdb or through
// a running bridge (--bridge). This file wires the parts in scripts/mstat/ together and
// owns the process: exit statuses, signals, stdout.
// Only argument parsing, help and exit codes are loaded up front: --help, --version and a
// usage error answer without loading gdb, ws or pino code (each path imports what it uses).
import { parseCommand, UsageError, type Command } from './args.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { HELP, USAGE } from './help.ts';
import type { Reading } from '../shared/reading.ts';
import type { TargetRef } from '../../protocol/target.ts';
import type { Source } from './source.ts';

function fail(code: number, message: string): never {
  process.stderr.write(`mstat: ${message}\n`);
  process.exit(code);
}

let cmd: Command;
try {
  cmd = parseCommand(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  fail(EXIT.usage, err.showUsage ? `${err.message}\n${USAGE}` : err.message);
}
if (cmd.kind === 'help') {
  process.stdout.write(HELP + '\n');
  process.exit(EXIT.ok);
}
if (cmd.kind === 'version') {
  const { packageVersion } = await import('../../bridge/version.ts');
  process.stdout.write(packageVersion() + '\n');
  process.exit(EXIT.ok);
}
const { createRootLogger } = await import('../../bridge/log.ts');

const log = createRootLogger({ level: cmd.logLevel, name: 'mstat', destination: 'stderr' });
const tty = cmd.kind === 'watch' && process.stdout.isTTY === true;
// The live view hides the cursor while it redraws; every way out shows it again.
if (tty) {
  const { SHOW_CURSOR } = await import('./watch-view.ts');
  process.on('exit', () => process.stdout.write(SHOW_CURSOR));
}

// Ctrl-C/SIGTERM at any point (even mid-attach or while the target is stopped) detaches
// first: the handler waits for the attach (or subscription) to finish, lets close() resume
// and check the target, and only then exits. Further signals are ignored until that is done.
// A reader closing our stdout (`mstat --watch | head`) ends the run the same way, status 0.
let opening: Promise<Source> | undefined;
let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  void (async () => {
    const s = await opening?.catch(() => undefined);
    await s?.close().catch(() => undefined);
    process.exit(code);
  })();
}
process.on('SIGINT', () => stop(EXIT.interrupted));
process.on('SIGTERM', () => stop(EXIT.interrupted));
process.stdout.on('error', (err: NodeJS.ErrnoException) => stop(err.code === 'EPIPE' ? EXIT.ok : EXIT.failed));

/** After a signal the handler owns the exit: wait for it instead of reporting anything. */
const parked = (): Promise<never> => new Promise(() => undefined);

async function open(c: Extract<Command, { kind: 'read' | 'watch' }>, intervalMs: number): Promise<Source> {
  const t = c.target;
  const ref: TargetRef = t.kind === 'core' ? { core: t.core, exe: t.exe } : { ...(t.kind === 'ssh' ? { ssh: t.ssh } : {}), pid: t.pid, ...(t.exe ? { exe: t.exe } : {}) };
  if (c.via.kind === 'bridge') {
    const { openBridge } = await import('./bridge-source.ts');
    return openBridge({ url: c.via.url, token: c.via.token, target: ref, mode: c.mode, intervalMs });
  }
  const { openLocal } = await import('./local-source.ts');
  return openLocal({ target: ref, sshConfig: t.kind === 'ssh' ? t.sshConfig : undefined, mode: c.mode, intervalMs, log });
}

try {
  switch (cmd.kind) {
    case 'list': {
      const { formatTargets, listTargets } = await import('./list.ts');
      const targets = await listTargets(cmd.via);
      if (stopping) await parked();
      process.stdout.write(formatTargets(targets, cmd.format, cmd.via));
      break;
    }
    case 'read': {
      // One reading. Through a bridge the subscription's interval only matters if the close
      // came late; locally it is the wait before another try after a transient failure.
      opening = open(cmd, cmd.via.kind === 'bridge' ? 60_000 : 100);
      const source = await opening;
      // A transient failure (one torn read; the process exec'd and is read anew) gets another try.
      let reading: Reading | undefined;
      for (let attempt = 1; reading === undefined; attempt++) {
        try {
          reading = await source.next();
        } catch (err) {
          if (!(err instanceof CliError) || !err.transient || attempt >= 3) throw err;
          process.stderr.write(`mstat: ${err.message}\n`);
        }
      }
      const { formatReading, readingNotes } = await import('./output.ts');
      const rss = cmd.format === 'pprof' ? source.maxRss() : undefined;
      await source.close();
      if (stopping) await parked();
      process.stdout.write(formatReading(reading, source.target, cmd.format, rss));
      for (const l of readingNotes(reading)) process.stderr.write(l + '\n');
      break;
    }
    case 'watch': {
      opening = open(cmd, cmd.intervalMs);
      const [source, { runWatch }] = await Promise.all([opening, import('./watch.ts')]);
      await runWatch(source, {
        intervalMs: cmd.intervalMs,
        count: cmd.count,
        tty,
        columns: () => process.stdout.columns,
        write: (s) => process.stdout.write(s),
        warn: (l) => process.stderr.write(l + '\n'),
      });
      await source.close();
      if (stopping) await parked();
      break;
    }
  }
} catch (err) {
  if (stopping) await parked(); // the signal handler detaches and exits
  const s = await opening?.catch(() => undefined);
  await s?.close().catch(() => undefined);
  if (err instanceof CliError) fail(err.exitCode, err.message);
  fail(EXIT.failed, err instanceof Error ? err.message : String(err));
}
process.exit(EXIT.ok);
