// A light WebSocket subscriber for long bench runs: counts frames by type without decoding
// samples (a soak receives hundreds of thousands), keeps arrival times for the gaps.
import WebSocket from 'ws';

export interface SubEvent {
  at: number; // Date.now()
  type: string;
  code?: string;
}

export class WsSub {
  readonly ws: WebSocket;
  samples = 0;
  /** arrival time of the latest sample */
  lastSampleAt = 0;
  /** every frame that is not a sample, in order */
  readonly events: SubEvent[] = [];
  private sampleWaiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((r) => this.ws.once('close', () => r()));
    this.ws.on('error', () => undefined);
    this.ws.on('message', (d) => {
      const text = d.toString();
      const type = /^\{"type":"([a-z-]+)"/.exec(text)?.[1] ?? '?';
      const at = Date.now();
      if (type === 'sample') {
        this.samples++;
        this.lastSampleAt = at;
        const w = this.sampleWaiters;
        this.sampleWaiters = [];
        for (const f of w) f();
        return;
      }
      this.events.push({ at, type, code: /"code":"([A-Z_]+)"/.exec(text)?.[1] });
    });
  }

  static async subscribe(url: string, id: string, pid: number, intervalMs: number, mode: 'live' | 'consistent'): Promise<WsSub> {
    const s = new WsSub(url);
    await s.opened;
    s.ws.send(JSON.stringify({ type: 'subscribe', id, target: { pid }, intervalMs, mode }));
    return s;
  }

  /** Resolves at the next sample frame (false after timeoutMs). */
  nextSample(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.sampleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
