// A typed client of the bridge's WebSocket protocol, for Node (pass `ws`'s WebSocket) and the
// browser (its own WebSocket). Every message is validated and decoded with the protocol's zod
// schemas (uint64 → bigint). Reconnects with backoff and resubscribes what was subscribed.
import { z } from 'zod';
import { ServerMessageSchema, type SampleMessage, type ServerMessage } from '../../protocol/server-messages.ts';
import type { ClientMessageInput, SampleMode } from '../../protocol/client-messages.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { TargetInfo, TargetListing, TargetRef } from '../../protocol/target.ts';
import { WS_PATH } from '../../protocol/version.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';

/** The part of the WebSocket API both `ws` and browsers implement. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

/** Codes of errors the client itself raises, beside the bridge's wire codes. */
export type ClientErrorCode = ErrorCode | 'CONNECT_FAILED' | 'DISCONNECTED' | 'CLOSED' | 'TIMEOUT' | 'BAD_MESSAGE';

export class BridgeClientError extends Error {
  constructor(readonly code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'BridgeClientError';
  }
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface BridgeClientOptions {
  /** ws://host:port, or a full URL with a path (default path /v1/ws) */
  url: string;
  token?: string;
  /** default: globalThis.WebSocket (browsers); in Node pass `ws`'s WebSocket */
  WebSocket?: WebSocketCtor;
  /** reconnect after a lost connection (default true) */
  reconnect?: boolean;
  /** keep retrying the first connection too (a dashboard opened before its bridge); default false */
  retryFirstConnect?: boolean;
  backoff?: BackoffOptions;
  /** per-request timeout (ms, default 15 s) */
  requestTimeoutMs?: number;
  onState?: (state: ConnectionState, detail?: string) => void;
}

export interface SubscribeOptions {
  intervalMs?: number;
  mode?: SampleMode;
  /** subscription id (default: generated) */
  id?: string;
  /** samples kept for a consumer that is behind; older ones are dropped (default 256) */
  buffer?: number;
}

/** Things that happen to a subscription besides samples. */
export type SubscriptionEvent =
  | { type: 'error'; code: ClientErrorCode; message: string }
  | { type: 'disconnected'; message: string }
  | { type: 'resubscribed'; target: TargetInfo }
  | { type: 'target-exited' };

export function wsUrl(url: string, token?: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '' || u.pathname === '/') u.pathname = WS_PATH;
  if (token !== undefined) u.searchParams.set('token', token);
  return u.toString();
}

/** One subscription: an async iterator of decoded samples that ends when the target exits. */
export class Subscription implements AsyncIterable<SampleMessage> {
  /** the target as the bridge described it when (re)subscribed */
  target: TargetInfo | undefined;
  /** set when the stream ended because the target exited */
  exited = false;
  /** samples the consumer was too slow for (dropped here, not at the bridge) */
  droppedLocally = 0;
  /** @internal a subscribe was sent and not yet confirmed */
  awaiting = false;
  private readonly queue: SampleMessage[] = [];
  private readonly listeners = new Set<(e: SubscriptionEvent) => void>();
  private wake: (() => void) | undefined;
  private done = false;
  private failure: BridgeClientError | undefined;
  readonly subscribed: Promise<TargetInfo>;
  private settle!: { resolve: (t: TargetInfo) => void; reject: (e: BridgeClientError) => void; settled: boolean };

  constructor(
    readonly id: string,
    readonly ref: TargetRef,
    readonly opts: { intervalMs?: number; mode?: SampleMode; buffer: number },
    private readonly onEnd: (s: Subscription) => void,
  ) {
    this.subscribed = new Promise((resolve, reject) => {
      this.settle = { resolve, reject, settled: false };
    });
    this.subscribed.catch(() => undefined); // the iterator reports it too
  }

  on(listener: (e: SubscriptionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  emit(e: SubscriptionEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** @internal */
  confirmed(target: TargetInfo): void {
    const first = !this.settle.settled;
    this.awaiting = false;
    this.target = target;
    if (first) {
      this.settle.settled = true;
      this.settle.resolve(target);
    } else this.emit({ type: 'resubscribed', target });
  }

  /** @internal */
  push(s: SampleMessage): void {
    if (this.done) return;
    this.queue.push(s);
    if (this.queue.length > this.opts.buffer) {
      this.queue.shift();
      this.droppedLocally++;
    }
    this.wake?.();
  }

  /** @internal ends the stream; with an error, the iterator throws it after the queued samples. */
  end(err?: BridgeClientError): void {
    if (this.done) return;
    this.done = true;
    if (err && !this.settle.settled) {
      this.settle.settled = true;
      this.settle.reject(err);
    }
    this.failure = err;
    this.onEnd(this);
    this.wake?.();
  }

  get ended(): boolean {
    return this.done;
  }

  /** The next sample, or undefined once the stream has ended. */
  async next(): Promise<SampleMessage | undefined> {
    for (;;) {
      const s = this.queue.shift();
      if (s) return s;
      if (this.done) {
        if (this.failure) throw this.failure;
        return undefined;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SampleMessage> {
    for (;;) {
      const s = await this.next();
      if (s === undefined) return;
      yield s;
    }
  }
}

interface Pending {
  resolve: (m: ServerMessage) => void;
  reject: (e: BridgeClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class BridgeClient {
  private ws: WebSocketLike | undefined;
  private state: ConnectionState = 'connecting';
  private readonly subs = new Map<string, Subscription>();
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private attempt = 0;
  private everOpen = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly Ctor: WebSocketCtor;
  private readonly url: string;

  private constructor(private readonly opts: BridgeClientOptions) {
    const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) throw new BridgeClientError('CONNECT_FAILED', 'no WebSocket implementation: pass the `ws` package\'s WebSocket in Node');
    this.Ctor = Ctor;
    this.url = wsUrl(opts.url, opts.token);
  }

  /** Connects; resolves once open (rejects with CONNECT_FAILED unless retryFirstConnect). */
  static connect(opts: BridgeClientOptions): Promise<BridgeClient> {
    const c = new BridgeClient(opts);
    return new Promise((resolve, reject) => {
      c.open(() => resolve(c), (e) => reject(e));
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  private setState(s: ConnectionState, detail?: string): void {
    this.state = s;
    this.opts.onState?.(s, detail);
  }

  private open(onFirstOpen?: () => void, onFirstFail?: (e: BridgeClientError) => void): void {
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(this.url);
    } catch (err) {
      onFirstFail?.(new BridgeClientError('CONNECT_FAILED', `cannot connect to ${this.opts.url}: ${(err as Error).message}`));
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.everOpen = true;
      this.attempt = 0;
      this.setState('open');
      onFirstOpen?.();
      onFirstOpen = undefined;
      onFirstFail = undefined;
      // Resubscribe whatever was subscribed before the connection was lost.
      for (const s of this.subs.values()) this.sendSubscribe(s);
    };
    ws.onmessage = (ev) => this.receive(String(ev.data));
    ws.onerror = () => undefined; // the close that follows says what happened
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const why = opened ? `connection to ${this.opts.url} lost (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})` : `cannot connect to ${this.opts.url} (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''}); is the bridge running, and is the token right?`;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new BridgeClientError('DISCONNECTED', why));
        this.pending.delete(id);
      }
      if (this.state === 'closed') return;
      const retry = this.opts.reconnect !== false && (this.everOpen || this.opts.retryFirstConnect === true);
      if (!retry) {
        this.setState('closed', why);
        onFirstFail?.(new BridgeClientError('CONNECT_FAILED', why));
        for (const s of [...this.subs.values()]) s.end(new BridgeClientError('DISCONNECTED', why));
        return;
      }
      for (const s of this.subs.values()) s.emit({ type: 'disconnected', message: why });
      const delay = backoffDelay(this.attempt++, this.opts.backoff);
      this.setState('reconnecting', `${why}; retrying in ${delay} ms`);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (this.state !== 'closed') this.open(onFirstOpen, undefined);
      }, delay);
    };
  }

  private receive(text: string): void {
    let m: ServerMessage;
    try {
      m = z.decode(ServerMessageSchema, JSON.parse(text) as z.input<typeof ServerMessageSchema>);
    } catch (err) {
      this.opts.onState?.(this.state, `ignored a message that does not match the protocol: ${(err as Error).message.slice(0, 200)}`);
      return;
    }
    switch (m.type) {
      case 'sample':
        this.subs.get(m.subscription)?.push(m);
        return;
      case 'subscribed':
        this.subs.get(m.id)?.confirmed(m.target);
        return;
      case 'target-exited': {
        const s = this.subs.get(m.subscription);
        if (!s) return;
        s.exited = true;
        s.emit({ type: 'target-exited' });
        s.end();
        return;
      }
      case 'error': {
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (p && m.id !== undefined) {
          this.pending.delete(m.id);
          clearTimeout(p.timer);
          p.reject(new BridgeClientError(m.code, m.message));
          return;
        }
        const s = m.id === undefined ? undefined : this.subs.get(m.id);
        if (!s) return;
        const err = new BridgeClientError(m.code, m.message);
        // Before `subscribed` an error refuses the (re)subscription; after it, it is news
        // (gdb restarting, a failed read) and samples may follow.
        if (s.awaiting || m.final === true || m.code === 'TARGET_EXITED' || m.code === 'NO_SUCH_PROCESS') s.end(err);
        else s.emit({ type: 'error', code: m.code, message: m.message });
        return;
      }
      default: {
        const id = (m as { id?: string }).id;
        const p = id === undefined ? undefined : this.pending.get(id);
        if (!p || id === undefined) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.resolve(m);
      }
    }
  }

  private send(msg: ClientMessageInput): void {
    if (!this.ws || this.state !== 'open') throw new BridgeClientError(this.state === 'closed' ? 'CLOSED' : 'DISCONNECTED', `not connected to ${this.opts.url}`);
    this.ws.send(JSON.stringify(msg));
  }

  private request(msg: ClientMessageInput & { id: string }): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const ms = this.opts.requestTimeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        this.pending.delete(msg.id);
        reject(new BridgeClientError('TIMEOUT', `no reply to ${msg.type} within ${ms} ms`));
      }, ms);
      this.pending.set(msg.id, { resolve, reject, timer });
      try {
        this.send(msg);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(msg.id);
        reject(err as BridgeClientError);
      }
    });
  }

  private sendSubscribe(s: Subscription): void {
    s.awaiting = true;
    try {
      this.send({ type: 'subscribe', id: s.id, target: s.ref, ...(s.opts.intervalMs === undefined ? {} : { intervalMs: s.opts.intervalMs }), ...(s.opts.mode === undefined ? {} : { mode: s.opts.mode }) });
    } catch {
      /* resent on reconnect */
    }
  }

  /** Subscribes; iterate the result for samples. A refused subscription makes the iterator throw. */
  subscribe(target: TargetRef, opts: SubscribeOptions = {}): Subscription {
    const id = opts.id ?? `s${this.nextId++}`;
    if (this.subs.has(id)) throw new BridgeClientError('DUPLICATE_SUBSCRIPTION', `subscription id ${id} is in use`);
    const s = new Subscription(id, target, { intervalMs: opts.intervalMs, mode: opts.mode, buffer: opts.buffer ?? 256 }, (x) => {
      if (this.subs.get(x.id) !== x) return;
      this.subs.delete(x.id);
      if (this.state === 'open' && !x.exited) this.send({ type: 'unsubscribe', id: x.id });
    });
    this.subs.set(id, s);
    if (this.state === 'closed') s.end(new BridgeClientError('CLOSED', 'the client is closed'));
    else if (this.state === 'open') this.sendSubscribe(s);
    return s;
  }

  /** Ends a subscription (the bridge detaches after its last subscriber leaves). */
  unsubscribe(s: Subscription): void {
    s.end();
  }

  async listTargets(): Promise<TargetListing[]> {
    const r = await this.request({ type: 'list-targets', id: `l${this.nextId++}` });
    if (r.type !== 'targets') throw new BridgeClientError('BAD_MESSAGE', `unexpected reply ${r.type} to list-targets`);
    return r.targets;
  }

  /** Round trip time (ms). */
  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.request({ type: 'ping', id: `p${this.nextId++}` });
    return performance.now() - t0;
  }

  /** Unsubscribes everything, closes the socket, stops reconnecting. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    for (const s of [...this.subs.values()]) s.end();
    this.setState('closed');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new BridgeClientError('CLOSED', 'the client was closed'));
      this.pending.delete(id);
    }
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      ws.onclose = () => {
        clearTimeout(t);
        resolve();
      };
      ws.close(1000, 'client closing');
    });
  }
}
