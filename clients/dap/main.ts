// Entry of the mstat debug adapter: DAP over stdio (how VS Code runs it), or `--server=PORT`
// (loopback only; PORT 0 picks one) to run it under a debugger and point launch.json's
// "debugServer" at it. In stdio mode stdout is the wire: every log goes to stderr.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { MstatDebugSession } from './adapter.ts';

const USAGE = `usage: mstat-dap [--server=PORT] [--log-level LEVEL]
  (no flags)       DAP on stdin/stdout, as VS Code starts it
  --server=PORT    DAP server on 127.0.0.1:PORT, one session per connection (0: any free port)
  --log-level L    fatal|error|warn|info|debug|trace|silent (default info; env MSTAT_LOG_LEVEL); logs go to stderr`;

let values: { server?: string; 'log-level'?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { server: { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
} catch (err) {
  process.stderr.write(`mstat-dap: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stderr.write(USAGE + '\n');
  process.exit(0);
}
const port = values.server === undefined ? undefined : Number(values.server);
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
  process.stderr.write(`mstat-dap: --server needs a port number, got '${values.server}'\n${USAGE}\n`);
  process.exit(2);
}

const log = pino({ name: 'mstat-dap', level: values['log-level'] ?? process.env.MSTAT_LOG_LEVEL ?? 'info' }, pino.destination({ fd: 2, sync: true }));
const sessions = new Set<MstatDebugSession>();

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Each session unsubscribes and stops its private bridge, which detaches from its target.
  await Promise.allSettled([...sessions].map((s) => s.release()));
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  void stop(1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection');
  void stop(1);
});

if (port === undefined) {
  // A stray console.log from any library would corrupt the wire: send it to stderr instead.
  console.log = console.info = console.debug = console.error;
  const session = new MstatDebugSession(log, false);
  sessions.add(session);
  session.start(process.stdin, process.stdout);
} else {
  let n = 0;
  const server = createServer((socket) => {
    const session = new MstatDebugSession(log.child({ conn: ++n }), true);
    sessions.add(session);
    socket.on('close', () => void session.release().finally(() => sessions.delete(session)));
    session.start(socket, socket);
  });
  server.on('error', (err) => {
    log.fatal({ err }, 'cannot listen');
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    // The line tests (and people) read to learn the port.
    process.stderr.write(`mstat-dap: waiting for debug protocol on 127.0.0.1:${actual}\n`);
  });
}
