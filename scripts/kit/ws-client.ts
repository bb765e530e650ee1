// A small real `ws` client of the bridge that decodes every frame with the protocol's schema and
// keeps them all (decoded and raw), for tests and benches that look at what arrived and when.
import WebSocket from 'ws';
import { z } from 'zod';
import { ServerMessageSchema, type ServerMessage } from '../../protocol/server-messages.ts';

export class WsClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  readonly raw: string[] = [];
  private waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts);
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${url}: not open within 15 s`)), 15_000);
      this.ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((r) => this.ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    this.ws.on('message', (d) => {
      const text = d.toString();
      this.raw.push(text);
      const m = z.decode(ServerMessageSchema, JSON.parse(text) as z.input<typeof ServerMessageSchema>);
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(bridge: { address: { port: number } }, t: { teardown(fn: () => unknown): void }, query = '', opts: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const c = new WsClient(`ws://127.0.0.1:${bridge.address.port}/v1/ws${query}`, opts);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Next message (already received ones included, from index `from`) matching pred. */
  next<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 15_000, from = 0): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage): boolean => m.type === type && pred(m as Extract<ServerMessage, { type: T }>);
    const have = this.received.slice(from).find(match);
    if (have) return Promise.resolve(have as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' message within ${timeoutMs} ms; got ${this.received.map((m) => m.type).join(',')}`)), timeoutMs);
      this.waiters.push({ pred: match, resolve: (m) => {
        clearTimeout(timer);
        resolve(m as Extract<ServerMessage, { type: T }>);
      } });
    });
  }

  /** Sends a frame and waits for the reply about `id` (or the next error/pong). */
  async request<T extends ServerMessage['type']>(msg: unknown, type: T, id?: string): Promise<Extract<ServerMessage, { type: T }> | Extract<ServerMessage, { type: 'error' }>> {
    const from = this.received.length;
    this.send(msg);
    return Promise.race([
      this.next(type, (m) => id === undefined || (m as { id?: string }).id === id, 15_000, from),
      this.next('error', (m) => id === undefined || m.id === id, 15_000, from),
    ]);
  }
}
