// Opens a real gdb for a test, with its MI transcript written under test-logs/ and closed in teardown.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { MiClient } from '../../bridge/mi/client.ts';
import { openGdb } from '../../bridge/mi/open.ts';

export const LOG_DIR = join(import.meta.dirname, '..', '..', 'test-logs');

interface TapLike {
  fullname: string;
  teardown(fn: () => unknown): void;
}

export function transcriptName(t: TapLike): string {
  return t.fullname.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 150);
}

export async function openTestGdb(t: TapLike, opts: { timeoutMs?: number } = {}): Promise<MiClient> {
  mkdirSync(LOG_DIR, { recursive: true });
  const base = join(LOG_DIR, transcriptName(t));
  const log = pino({ level: 'debug' }, pino.destination({ dest: `${base}.log`, sync: true }));
  const mi = createWriteStream(`${base}.mi`);
  const gdb = await openGdb({
    log,
    timeoutMs: opts.timeoutMs,
    onSpawn: (c) => {
      c.on('line-out', (l) => mi.write(`-> ${l}\n`));
      c.on('line-in', (l) => mi.write(`${l}\n`));
    },
  });
  t.teardown(async () => {
    await gdb.close({ graceMs: 2000 });
    mi.end();
  });
  return gdb;
}
