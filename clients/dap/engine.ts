// The sample source behind the adapter, knowing nothing of DAP: a bridge (the given one, or a
// private subprocess), one subscription to the target, the latest sample, and what happened.
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { SampleMode } from '../../protocol/client-messages.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import type { TargetInfo } from '../../protocol/target.ts';
import { BridgeClient, BridgeClientError, type Subscription, type WebSocketCtor } from '../shared/bridge-client.ts';
import { PrivateBridge } from './private-bridge.ts';

export interface EngineOptions {
  pid: number;
  /** ws://host:port of a running bridge; absent: start a private one */
  bridge?: string | undefined;
  token?: string | undefined;
  mode: SampleMode;
  intervalMs: number;
  log: Logger;
  /** the first subscription may take a cold gdb attach and a DWARF layout resolution */
  subscribeTimeoutMs?: number;
}

/** What the engine reports; called synchronously, in order. */
export interface EngineListener {
  sample(s: SampleMessage): void;
  /** the target process exited: the stream is over */
  exited(): void;
  /** news worth a line for the user (connection lost, gdb restarted, …); samples may follow */
  notice(message: string): void;
  /** the stream ended for another reason: the session is over */
  failed(err: Error): void;
}

export class MemStatsEngine {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly target: TargetInfo,
    private readonly client: BridgeClient,
    private readonly sub: Subscription,
    /** set when the engine started its own bridge */
    readonly privateBridge: PrivateBridge | undefined,
    readonly url: string,
    private readonly opts: EngineOptions,
    private readonly listener: EngineListener,
  ) {}

  /**
   * Connects and subscribes; resolves once the bridge confirmed the subscription. A refusal
   * (no such process, not Go, ptrace denied, …) rejects with the BridgeClientError carrying
   * the wire code, and leaves nothing behind.
   */
  static async start(opts: EngineOptions, listener: EngineListener): Promise<MemStatsEngine> {
    const log = opts.log;
    const own = opts.bridge === undefined ? await PrivateBridge.start({ pid: opts.pid, onLog: (l) => log.debug({ bridge: l }, 'private bridge') }) : undefined;
    if (own) log.info({ pid: own.pid, url: own.url }, 'private bridge started');
    const url = own?.url ?? opts.bridge!;
    let client: BridgeClient | undefined;
    try {
      let connected = false;
      client = await BridgeClient.connect({
        url,
        token: own?.token ?? opts.token,
        WebSocket: WebSocket as unknown as WebSocketCtor,
        // A private bridge that went away is not coming back; a shared one may restart.
        reconnect: own === undefined,
        onState: (state, detail) => {
          log.info({ state, detail }, 'bridge connection');
          if (connected && state !== 'closed') listener.notice(`bridge ${state}${detail ? `: ${detail}` : ''}`);
        },
      });
      connected = true;
      const sub = client.subscribe({ pid: opts.pid }, { intervalMs: opts.intervalMs, mode: opts.mode, buffer: 16 });
      const target = await withTimeout(sub.subscribed, opts.subscribeTimeoutMs ?? 60_000, `the bridge did not confirm the subscription to pid ${opts.pid}`);
      const engine = new MemStatsEngine(target, client, sub, own, url, opts, listener);
      sub.on((e) => {
        if (e.type === 'error') listener.notice(`bridge: ${e.message} [${e.code}]`);
        else if (e.type === 'resubscribed') listener.notice(`resubscribed to pid ${e.target.pid}`);
      });
      void engine.pump();
      void own?.exited.then((x) => {
        if (!engine.closing) log.warn(x, 'private bridge exited');
      });
      return engine;
    } catch (err) {
      await client?.close().catch(() => undefined);
      await own?.stop();
      throw err;
    }
  }

  private async pump(): Promise<void> {
    try {
      for await (const s of this.sub) {
        this.call(() => this.listener.sample(s));
      }
      if (this.closing) return;
      if (this.sub.exited) this.call(() => this.listener.exited());
      else this.call(() => this.listener.failed(new Error('the sample stream ended')));
    } catch (err) {
      if (this.closing) return;
      this.call(() => this.listener.failed(err instanceof Error ? err : new Error(String(err))));
    }
  }

  /** A listener's bug must not stop the stream. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err }, 'engine listener threw');
    }
  }

  /** Unsubscribes (the bridge detaches; the target keeps running), closes, stops a private bridge. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.client.close().catch((err: unknown) => this.opts.log.warn({ err }, 'closing the bridge client failed'));
      await this.privateBridge?.stop();
    })();
    return this.closing;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new BridgeClientError('TIMEOUT', `${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
