#!/usr/bin/env node
// `mstat`: the bundled CLI (dist/bin, from `npm run build`; setup runs it in a clone).
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/bin/mstat.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`mstat: not built: run \`npm run build\` in ${new URL('../..', import.meta.url).pathname}\n`);
  process.exit(1);
}
await import(entry.href);
