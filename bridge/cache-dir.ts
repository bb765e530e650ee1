// Where mstat-bridge keeps what it can reuse across runs (layouts, the gdb version check):
// $MSTAT_CACHE_DIR, else $XDG_CACHE_HOME/mstat-bridge, else ~/.cache/mstat-bridge.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  if (process.env.MSTAT_CACHE_DIR) return process.env.MSTAT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mstat-bridge');
}
