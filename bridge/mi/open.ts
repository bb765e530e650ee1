// openGdb: spawn + preamble, the way every gdb in mstat-bridge starts.
import { MiClient, type MiClientOptions } from './client.ts';
import { applyPreamble } from './preamble.ts';

export async function openGdb(opts: MiClientOptions & { onSpawn?: (c: MiClient) => void }): Promise<MiClient> {
  const client = await MiClient.start(opts);
  // Lets callers (transcripts) see the preamble traffic too.
  opts.onSpawn?.(client);
  try {
    await applyPreamble(client);
  } catch (err) {
    await client.close({ graceMs: 1000 });
    throw err;
  }
  return client;
}
