#!/usr/bin/env node
// `mstat-bridge`: the bundled bridge (dist/bin, from `npm run build`; setup runs it in a clone).
import { existsSync } from 'node:fs';

// A stop asked for while the bundle still loads is kept for bridge/main.ts, which takes over
// these handlers: as PID 1 (a container) a signal with no handler would be ignored.
const early = { signals: [], handler: (signal) => early.signals.push(signal) };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early.handler);
globalThis[Symbol.for('mstat-bridge.early-signals')] = early;

const entry = new URL('../../dist/bin/mstat-bridge.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`mstat-bridge: not built: run \`npm run build\` in ${new URL('../..', import.meta.url).pathname}\n`);
  process.exit(1);
}
await import(entry.href);
