// mstat-bridge entry point: config, root logger, the bridge; SIGINT/SIGTERM detach every
// target (they keep running), close clients with 1001 and exit 0.
// Only the config is loaded up front: --help, --version and a bad flag answer without
// loading the server, gdb or logger code.
import { configFromArgs, infoRequest, USAGE } from './config.ts';

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
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await bridge.close().catch((err: unknown) => log.error({ err }, 'close failed'));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception; detaching every target');
  void stop(1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection; detaching every target');
  void stop(1);
});
