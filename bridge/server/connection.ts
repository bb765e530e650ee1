// One WebSocket client: validates every frame, runs its subscriptions, and answers bad input
// with a coded `error` that changes nothing.
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import type { Config } from '../config-schema.ts';
import type { Sample } from '../go/target.ts';
import type { TargetManager } from '../targets/manager.ts';
import { toWireError } from '../targets/wire-errors.ts';
import { ClientMessageSchema, type ClientMessage } from '../../protocol/client-messages.ts';
import { ServerMessageSchema, type ServerMessage } from '../../protocol/server-messages.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { rates, sampleFrame } from './sample-message.ts';
import { TokenBucket } from './token-bucket.ts';

/** Unsent bytes, in units of maxBufferedBytes, at which a connection is terminated. */
const HARD_CAP_FACTOR = 4;
/** Frames dropped within a second, in units of the per-second limit, at which a connection is closed. */
const FLOOD_FACTOR = 10;

/** Messages may quote client input (an unknown key, a path): control characters are escaped, length bounded. */
function oneLine(s: string): string {
  const t = s.replace(/[\x00-\x1f\x7f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return t.length > 500 ? `${t.slice(0, 499)}…` : t;
}

interface Subscription {
  unsubscribe: (() => void) | undefined;
  seq: number;
  dropped: number;
  last: Sample | undefined;
  cancelled: boolean;
}

export class Connection {
  private readonly subs = new Map<string, Subscription>();
  private closed = false;
  /** frames this connection may send (the excess is dropped before it is parsed) */
  private readonly frames: TokenBucket;
  private readonly lists: TokenBucket;
  /** when the last RATE_LIMITED reply went out: one a second at most, so a flood gets no echo */
  private lastRateReply = 0;
  /** frames dropped in the current one-second window */
  private dropped = 0;
  private dropWindow = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly manager: TargetManager,
    private readonly cfg: Config,
    private readonly log: Logger,
  ) {
    this.frames = new TokenBucket(cfg.maxFramesPerSecond, 2 * cfg.maxFramesPerSecond);
    this.lists = new TokenBucket(cfg.maxListsPerMinute / 60, 5);
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('close', () => this.close());
    ws.on('error', (err) => this.log.debug({ err }, 'websocket error'));
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  private send(msg: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN || this.overflowing()) return;
    this.ws.send(JSON.stringify(z.encode(ServerMessageSchema, msg)));
  }

  /**
   * Replies (errors, pongs, listings) cannot be dropped like samples; a peer that keeps
   * sending but never reads would make them buffer without end. Past a hard cap it is cut off.
   */
  private overflowing(): boolean {
    const buffered = this.ws.bufferedAmount;
    if (buffered <= HARD_CAP_FACTOR * this.cfg.maxBufferedBytes) return false;
    this.log.warn({ bufferedAmount: buffered, limit: HARD_CAP_FACTOR * this.cfg.maxBufferedBytes }, 'client does not read its replies; connection terminated');
    this.ws.terminate();
    return true;
  }

  /** An error about a request, with its stable wire code and a one-line message. */
  private error(e: { code: ErrorCode; message: string }, id?: string, final = false): void {
    this.send({ type: 'error', code: e.code, message: oneLine(e.message), ...(id === undefined ? {} : { id }), ...(final ? { final } : {}) });
  }

  private errorFrom(err: unknown, id?: string, final = false): void {
    this.error(toWireError(err), id, final);
  }

  private rateLimited(what: string): void {
    // Far over the limit is a flood, not a busy client: cut it off, so that the kernel
    // discards the rest instead of us reading it.
    const now = performance.now();
    if (now - this.dropWindow > 1000) {
      this.dropWindow = now;
      this.dropped = 0;
    }
    if (++this.dropped > FLOOD_FACTOR * this.cfg.maxFramesPerSecond) {
      this.log.warn({ dropped: this.dropped }, 'client floods the bridge with frames; connection closed');
      this.error({ code: 'RATE_LIMITED', message: `${what}, by far; connection closed` });
      // Closing: what still arrives is not parsed (onFrame answers only an open socket).
      this.ws.close(1008, 'rate limit');
      setTimeout(() => this.ws.terminate(), 1000).unref();
      return;
    }
    // Stop reading this socket for a moment: what is not read costs nothing, and TCP slows
    // the sender down (frames already buffered are still dropped here, unparsed).
    if (!this.ws.isPaused) {
      this.ws.pause();
      setTimeout(() => {
        if (this.ws.readyState === this.ws.OPEN) this.ws.resume();
      }, Math.max(20, 1000 / this.cfg.maxFramesPerSecond)).unref();
    }
    if (now - this.lastRateReply < 1000) return;
    this.lastRateReply = now;
    this.error({ code: 'RATE_LIMITED', message: `${what}; the excess is dropped` });
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    // Frames still queued from a peer we cut off (or that is leaving) are not answered.
    if (this.ws.readyState !== this.ws.OPEN || this.overflowing()) return;
    // A flood costs no parsing: it must not delay anyone's samples.
    if (!this.frames.take()) return this.rateLimited(`more than ${this.cfg.maxFramesPerSecond} frames a second (--max-frames-per-second)`);
    if (isBinary) return this.error({ code: 'BAD_REQUEST', message: 'binary frames are not part of the protocol; send JSON text' });
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      return this.error({ code: 'BAD_REQUEST', message: 'frame is not valid JSON' });
    }
    const r = ClientMessageSchema.safeParse(json);
    if (!r.success) {
      const id = typeof (json as { id?: unknown })?.id === 'string' ? String((json as { id: string }).id).slice(0, 64) : undefined;
      const issue = r.error.issues[0];
      return this.error({ code: 'BAD_REQUEST', message: `invalid message: ${issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'does not match the protocol'}` }, id);
    }
    void this.dispatch(r.data).catch((err: unknown) => {
      this.log.error({ err }, 'request failed');
      this.errorFrom(err);
    });
  }

  private async dispatch(m: ClientMessage): Promise<void> {
    switch (m.type) {
      case 'ping':
        return this.send({ type: 'pong', ...(m.id === undefined ? {} : { id: m.id }) });
      case 'list-targets': {
        if (!this.lists.take()) return this.error({ code: 'RATE_LIMITED', message: `more than ${this.cfg.maxListsPerMinute} list-targets a minute (--max-lists-per-minute); try again shortly` }, m.id);
        // A remote listing can fail (ssh): the error names the request it answers.
        let targets;
        try {
          targets = await this.manager.listTargets(m.ssh === undefined ? {} : { ssh: m.ssh });
        } catch (err) {
          return this.errorFrom(err, m.id);
        }
        return this.send({ type: 'targets', id: m.id, targets });
      }
      case 'unsubscribe': {
        const s = this.subs.get(m.id);
        if (!s) return this.error({ code: 'UNKNOWN_SUBSCRIPTION', message: `no subscription '${m.id}'` }, m.id);
        this.drop(m.id, s);
        return this.send({ type: 'unsubscribed', id: m.id });
      }
      case 'subscribe':
        return this.subscribe(m);
    }
  }

  private async subscribe(m: Extract<ClientMessage, { type: 'subscribe' }>): Promise<void> {
    if (this.subs.has(m.id)) return this.error({ code: 'DUPLICATE_SUBSCRIPTION', message: `subscription '${m.id}' already exists` }, m.id);
    if (this.subs.size >= this.cfg.maxSubscriptions) {
      return this.error({ code: 'TOO_MANY_SUBSCRIPTIONS', message: `at most ${this.cfg.maxSubscriptions} subscriptions per connection` }, m.id);
    }
    const state: Subscription = { unsubscribe: undefined, seq: 0, dropped: 0, last: undefined, cancelled: false };
    this.subs.set(m.id, state);
    try {
      const { info, unsubscribe } = await this.manager.subscribe(m.target, {
        intervalMs: m.intervalMs,
        mode: m.mode,
        onSample: (sample, ti) => this.deliver(m.id, state, sample, ti),
        onExit: () => {
          this.subs.delete(m.id);
          this.send({ type: 'target-exited', subscription: m.id, target: m.target });
        },
        onError: (err, final) => {
          if (final) this.subs.delete(m.id);
          this.errorFrom(err, m.id, final);
        },
      });
      state.unsubscribe = unsubscribe;
      if (state.cancelled || this.closed) {
        unsubscribe();
        return;
      }
      this.send({ type: 'subscribed', id: m.id, target: info, intervalMs: m.intervalMs, mode: m.mode });
    } catch (err) {
      this.subs.delete(m.id);
      this.errorFrom(err, m.id);
    }
  }

  private deliver(id: string, s: Subscription, sample: Sample, info: Parameters<typeof sampleFrame>[2]): void {
    if (this.ws.readyState !== this.ws.OPEN || s.cancelled) return;
    // Backpressure: a slow reader never makes us buffer more; it gets the latest sample later.
    if (this.ws.bufferedAmount > this.cfg.maxBufferedBytes) {
      s.dropped++;
      return;
    }
    s.seq++;
    const r = rates(s.last, sample);
    s.last = sample;
    this.ws.send(sampleFrame(id, s.seq, info, sample, r, s.dropped));
    s.dropped = 0;
  }

  private drop(id: string, s: Subscription): void {
    s.cancelled = true;
    s.unsubscribe?.();
    this.subs.delete(id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, s] of this.subs) this.drop(id, s);
  }
}
