#!/usr/bin/env node
// `mstat-bridge`: the bundled bridge (dist/bin, from `npm run build`; setup runs it in a clone).
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/bin/mstat-bridge.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`mstat-bridge: not built: run \`npm run build\` in ${new URL('../..', import.meta.url).pathname}\n`);
  process.exit(1);
}
await import(entry.href);
