// Readings from a running bridge: one subscription, its samples decoded (uint64 → bigint)
// into the same Reading a local attach gives.
import type { BridgeClient, Subscription } from '../shared/bridge-client.ts';
import { readingFromMessage, type Reading } from '../shared/reading.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import type { TargetInfo, TargetRef } from '../../protocol/target.ts';
import { bridgeCliError, connectBridge } from './bridge-connect.ts';
import { CliError, EXIT, exitForWireCode } from './exit-codes.ts';
import type { Source } from './source.ts';

export interface BridgeSourceOptions {
  url: string;
  token: string | undefined;
  target: TargetRef;
  mode: 'live' | 'consistent';
  intervalMs: number;
}

class BridgeSource implements Source {
  /** errors the bridge reported after subscribing (gdb restarting, a failed read), oldest first */
  private readonly problems: Array<{ code: string; message: string }> = [];
  private onProblem: (() => void) | undefined;
  /** a sub.next() still waited on: the subscription allows one waiter */
  private pending: Promise<SampleMessage | undefined> | undefined;

  constructor(
    private readonly client: BridgeClient,
    private readonly sub: Subscription,
    readonly target: TargetInfo,
    private readonly url: string,
  ) {
    sub.on((e) => {
      if (e.type !== 'error') return;
      this.problems.push(e);
      this.onProblem?.();
    });
  }

  async next(): Promise<Reading> {
    if (this.problems.length === 0) {
      const problem = new Promise<'problem'>((r) => (this.onProblem = () => r('problem')));
      this.pending ??= this.sub.next();
      let s: SampleMessage | undefined | 'problem';
      try {
        s = await Promise.race([this.pending, problem]);
      } catch (err) {
        this.pending = undefined;
        throw bridgeCliError(err, this.url);
      }
      if (s !== 'problem') {
        this.pending = undefined;
        if (s === undefined) throw new CliError(EXIT.failed, `process ${this.target.pid} has exited`);
        return readingFromMessage(s);
      }
    }
    const p = this.problems.shift()!;
    throw new CliError(exitForWireCode(p.code), p.message, true);
  }

  maxRss(): undefined {
    return undefined; // the target's /proc is on the bridge's host
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Connects and subscribes; resolves once the bridge has attached (errors as CliError). */
export async function openBridge(opts: BridgeSourceOptions): Promise<Source> {
  const client = await connectBridge(opts.url, opts.token);
  try {
    const sub = client.subscribe(opts.target, { intervalMs: opts.intervalMs, mode: opts.mode });
    return new BridgeSource(client, sub, await sub.subscribed, opts.url);
  } catch (err) {
    await client.close();
    throw bridgeCliError(err, opts.url);
  }
}
