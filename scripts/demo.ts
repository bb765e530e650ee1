// The README's main command: start the bundled demo Go program, start a bridge on loopback
// attached to it from the outside (non-stop gdb, nothing stopped), print the URL of the live
// dashboard, and show the same stream in the terminal (through the client library, like any
// other client) until Ctrl-C or --duration. A refreshing view on a terminal, one line per
// sample otherwise.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../bridge/bridge.ts';
import { ConfigSchema } from '../bridge/config-schema.ts';
import { createRootLogger } from '../bridge/log.ts';
import { BridgeClient, type WebSocketCtor } from '../clients/shared/bridge-client.ts';
import { parseDuration } from '../clients/shared/duration.ts';
import { readingFromMessage, type Reading } from '../clients/shared/reading.ts';
import { LiveFrame, SHOW_CURSOR, watchBlock, watchLine } from '../clients/cli/watch-view.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '0' },
    interval: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'live' },
    port: { type: 'string', default: '7070' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`usage: npm run demo [-- --duration SECONDS] [--interval MS|DURATION] [--mode live|consistent] [--port N]
  Starts the demo Go program (test/targets/memhog) and a bridge on 127.0.0.1:PORT (7070; a free
  port if taken) attached to it from outside, prints the dashboard URL and streams its exact
  MemStats in the terminal until Ctrl-C.`);
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const intervalMs = Math.max(50, parseDuration(values.interval) ?? 1000); // plain ms, or 500ms, 1s, …
const mode = values.mode === 'consistent' ? 'consistent' : 'live';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'targets', '.build-demo', 'manifest.json'), 'utf8')) as Array<{ program: string; variant: string; toolchain: string; path: string }>;
const build = manifest.filter((b) => b.program === 'memhog' && b.variant === 'default').sort((a, b) => b.toolchain.localeCompare(a.toolchain, undefined, { numeric: true }))[0];
if (!build) throw new Error('demo program not built: run it as npm run demo (scripts/demo.sh builds it into test/targets/.build-demo)');

const log = createRootLogger({ level: 'warn', name: 'demo' });
const child = spawn(build.path, ['-control', '-deadline', '0', '-heartbeat', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
const ready = await new Promise<{ pid: number; goVersion: string }>((resolve, reject) => {
  createInterface({ input: child.stdout }).on('line', (l) => {
    const e = JSON.parse(l) as { event: string; pid: number; goVersion: string };
    if (e.event === 'ready') resolve(e);
  });
  child.once('exit', (c) => reject(new Error(`demo program exited (${c})`)));
});

/** The bridge on the asked port, or on a free one when that is taken. */
async function bridgeOn(port: number): Promise<Bridge> {
  const cfg = (p: number) => Object.freeze(ConfigSchema.parse({ host: '127.0.0.1', port: p }));
  try {
    return await startBridge(cfg(port), log);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startBridge(cfg(0), log);
  }
}

const t0 = Date.now();
const bridge = await bridgeOn(Number(values.port));
const base = `http://127.0.0.1:${bridge.address.port}`;
const client = await BridgeClient.connect({ url: base, token: bridge.token, WebSocket: WebSocket as unknown as WebSocketCtor });
const sub = client.subscribe({ pid: ready.pid }, { intervalMs, mode });
const info = await sub.subscribed;
const header = [
  `demo program ${build.path}: pid ${ready.pid}, ${info.goVersion}; attached non-stop in ${Date.now() - t0} ms; mode ${mode}`,
  `dashboard:  ${bridge.dashboardUrl}${bridge.token === undefined ? '?' : '&'}pid=${ready.pid}   (also ${base}/metrics, ws://127.0.0.1:${bridge.address.port}/v1/ws; token in the URL)   Ctrl-C detaches`,
];
const tty = process.stdout.isTTY === true;
if (!tty) console.log(header.join('\n')); // on a terminal every frame carries it

let stopping = false;
async function stop(code = 0): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  await client.close();
  await bridge.close();
  const state = /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))?.[1] ?? '?';
  console.log(`\ndetached; demo program still ${state}; stopping it.`);
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const frame = new LiveFrame();
let prev: Reading | undefined;
process.on('exit', () => {
  if (tty) process.stdout.write(SHOW_CURSOR);
});

for await (const m of sub) {
  const s = readingFromMessage(m);
  if (tty) process.stdout.write(frame.frame(watchBlock(s, prev, { header, intervalMs }), process.stdout.columns));
  else console.log(watchLine(s, prev));
  prev = s;
  if (durationMs > 0 && Date.now() - t0 >= durationMs) await stop(0);
}
console.log(sub.exited ? 'the demo program exited' : 'the subscription ended');
await stop(1);
