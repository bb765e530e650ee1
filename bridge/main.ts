// mstat-bridge entry point: config, root logger, the bridge; SIGINT/SIGTERM detach every
// target (they keep running), close clients with 1001 and exit 0.
// Only the config is loaded up front: --help, --version and a bad flag answer without
// loading the server, gdb or logger code.
import { configFromArgs, infoRequest, USAGE } from './config.ts';

// Handled from the first moment: as PID 1 (a container) a signal with no handler is ignored,
// and a stop asked for while the bridge is still starting happens as soon as it has started.
let stopRequested: number | undefined;
let stop = (code: number): void => {
  stopRequested ??= code;
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(0));
// The bin's handlers, installed before this bundle loaded (scripts/bin/mstat-bridge.js).
const early = (globalThis as Record<symbol, { signals: string[]; handler: () => void } | undefined>)[Symbol.for('mstat-bridge.early-signals')];
if (early) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, early.handler);
  if (early.signals.length > 0) stop(0);
}

let cfg;
try {
  cfg = configFromArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`mstat-bridge: ${(err as Error).message} (see mstat-bridge --help)\n`);
  process.exit(2);
}
if (!cfg) {
  const { packageVersion } = await import('./version.ts');
  process.stdout.write((infoRequest(process.argv.slice(2)) === 'version' ? packageVersion() : USAGE) + '\n');
  process.exit(0);
}
const [{ startBridge }, { createRootLogger }] = await Promise.all([import('./bridge.ts'), import('./log.ts')]);
// The remote layer runs the ssh client named by $MSTAT_SSH; --ssh-program hands its value over that way.
if (cfg.sshProgram !== undefined) process.env.MSTAT_SSH = cfg.sshProgram;

const log = createRootLogger({ level: cfg.logLevel, name: 'mstat-bridge', destination: 'stdout' });
const bridge = await startBridge(cfg, log).catch((err: unknown) => {
  log.fatal({ err }, 'cannot start');
  process.stderr.write(`mstat-bridge: ${(err as Error).message}\n`);
  process.exit(1);
});

let stopping = false;
stop = (code: number): void => {
  if (stopping) return;
  stopping = true;
  void bridge
    .close()
    .catch((err: unknown) => log.error({ err }, 'close failed'))
    .then(() => process.exit(code));
};
if (stopRequested !== undefined) stop(stopRequested);
// Started through npm (`npx mstat-bridge`, an npm script), a SIGTERM reaches npm, which exits
// at once; its `sh -c` dies with it and we would be left orphaned, still listening and still
// attached; a SIGHUP kills npm and leaves the shell. Such a launcher going away means stop.
// Only under npm: a bridge started with nohup from a shell that exits is meant to outlive it.
if (process.env.npm_execpath !== undefined || process.env.npm_lifecycle_event !== undefined) {
  const { launcherChain, launcherGone } = await import('./launcher.ts');
  const chain = launcherChain(process.pid, 2);
  setInterval(() => {
    const gone = launcherGone(chain);
    if (gone === undefined) return;
    log.warn({ launcher: gone }, 'the npm process that started the bridge is gone; detaching every target and stopping');
    void stop(0);
  }, 250).unref();
}
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception; detaching every target');
  void stop(1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection; detaching every target');
  void stop(1);
});
