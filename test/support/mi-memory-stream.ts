// An MiStream in memory, for MI-layer unit tests without gdb: what the channel wrote, a way to
// feed it gdb's output in chunks of any size, and the stream's close.
import type { MiStream } from '../../bridge/mi/stream.ts';

export class MemoryMiStream implements MiStream {
  /** Every write, as the channel made it (one per batch of commands). */
  readonly writes: string[] = [];
  ended = false;
  private dataListeners: Array<(chunk: string) => void> = [];
  private closeListeners: Array<(reason: string, err?: Error) => void> = [];
  private closed = false;
  /** Called on each write, after it is recorded (a fake gdb answers from here). */
  onWrite: ((text: string) => void) | undefined;

  write(text: string): void {
    this.writes.push(text);
    this.onWrite?.(text);
  }

  end(): void {
    this.ended = true;
  }

  onData(listener: (chunk: string) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string, err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** The lines written so far, without their newlines. */
  get lines(): string[] {
    return this.writes.join('').split('\n').filter((l) => l !== '');
  }

  /** gdb's output arriving: each chunk as one 'data' event. */
  push(...chunks: string[]): void {
    for (const c of chunks) for (const l of this.dataListeners) l(c);
  }

  close(reason = 'test closed the stream', err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l(reason, err);
  }
}

/** Splits `text` into chunks whose sizes come from `size()` (1 or more characters). */
export function chunked(text: string, size: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = Math.max(1, size());
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}
