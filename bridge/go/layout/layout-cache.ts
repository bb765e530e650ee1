// On-disk cache of DecoderLayouts keyed by Go build ID: a second attach to the same binary
// resolves nothing. $MSTAT_CACHE_DIR, else $XDG_CACHE_HOME/mstat-bridge, else ~/.cache/mstat-bridge.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../../cache-dir.ts';
import { LAYOUT_SCHEMA_VERSION, type DecoderLayout } from './decoder-layout.ts';

export { cacheDir };

function fileFor(dir: string, buildId: string): string {
  // Build IDs contain '/'; hash to a safe file name.
  const h = createHash('sha256').update(buildId).digest('hex').slice(0, 32);
  return join(dir, 'layouts', `${h}.json`);
}

interface Entry {
  buildId: string;
  schema: number;
  layout: DecoderLayout;
}

export async function loadLayout(buildId: string, dir = cacheDir()): Promise<DecoderLayout | undefined> {
  try {
    const e = JSON.parse(await readFile(fileFor(dir, buildId), 'utf8')) as Entry;
    if (e.buildId !== buildId || e.schema !== LAYOUT_SCHEMA_VERSION || e.layout.schema !== LAYOUT_SCHEMA_VERSION) return undefined;
    return e.layout;
  } catch {
    return undefined;
  }
}

/** Atomic write (temp file + rename) so concurrent readers never see half a file. */
export async function saveLayout(buildId: string, layout: DecoderLayout, dir = cacheDir()): Promise<void> {
  const file = fileFor(dir, buildId);
  await mkdir(join(dir, 'layouts'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ buildId, schema: LAYOUT_SCHEMA_VERSION, layout } satisfies Entry));
  await rename(tmp, file);
}
