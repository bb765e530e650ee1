// `mstat --list`: the Go processes of this host (a /proc scan that touches no process) or
// of the bridge's host (its list-targets).
import { listGoProcesses } from '../../bridge/targets/discovery.ts';
import { formatTargetJsonLines, formatTargetTable } from './target-table.ts';
import type { TargetListing } from '../../protocol/target.ts';
import type { Via } from './args.ts';
import { bridgeCliError, connectBridge } from './bridge-connect.ts';

export async function listTargets(via: Via): Promise<TargetListing[]> {
  if (via.kind === 'local') return listGoProcesses({ self: process.pid });
  const client = await connectBridge(via.url, via.token);
  try {
    return await client.listTargets();
  } catch (err) {
    throw bridgeCliError(err, via.url);
  } finally {
    await client.close();
  }
}

export function formatTargets(targets: readonly TargetListing[], format: 'text' | 'json', via: Via): string {
  return format === 'json' ? formatTargetJsonLines(targets) : formatTargetTable(targets, { showAttached: via.kind === 'bridge' });
}
