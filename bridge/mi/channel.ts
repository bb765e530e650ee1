// MiChannel: token-correlated MI commands over one MiStream. It never hangs (every command
// has a timeout), never confuses an async record with a reply, and rejects every pending
// command with MI_ERR_GDB_EXITED the moment the stream closes or its owner shuts it down.
// It knows nothing of processes: the gdb process (gdb-process.ts) supplies the stream.
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import { CallSite, MiError, MiErrorCode } from './errors.ts';
import { formatCommand, type MiArg } from './escape.ts';
import { isThreadNotice } from './notices.ts';
import { parseLine } from './parser.ts';
import type { MiAsyncRecord, MiParseErrorRecord, MiRecord, MiResultRecord, MiStreamRecord } from './records.ts';
import type { MiStream } from './stream.ts';

export interface MiReply {
  record: MiResultRecord;
  /** `~` console output produced while the command ran, fragments in order. */
  console: string[];
  /** `&` log output produced while the command ran. */
  log: string[];
}

export interface SendOptions {
  timeoutMs?: number | undefined;
}

/** What a command wrapper needs: one way to send. A channel, or a client around one. */
export interface MiSender {
  send(name: string, args?: readonly MiArg[], opts?: SendOptions): Promise<MiReply>;
}

export interface MiChannelEvents {
  /** Raw traffic, for transcripts: a line written to gdb (without newline). */
  'line-out': [string];
  /** Raw traffic: a line read from gdb. */
  'line-in': [string];
  record: [MiRecord];
  async: [MiAsyncRecord];
  stream: [MiStreamRecord];
  'parse-error': [MiParseErrorRecord];
  /** The stream closed (gdb's output ended, or writing failed): the channel is unusable. */
  'pipe-closed': [string];
  /** The channel stopped carrying commands, for either reason (stream closed, or shutDown). */
  shut: [];
}

export interface MiChannelOptions {
  log: Logger;
  /** Default per-command timeout. */
  timeoutMs?: number | undefined;
}

interface Pending {
  token: number;
  line: string;
  name: string;
  site: CallSite;
  console: string[];
  log: string[];
  timer: NodeJS.Timeout | undefined;
  /** Timed out: kept until gdb answers so its output is not attributed to another command. */
  abandoned: boolean;
  resolve: (r: MiReply) => void;
  reject: (e: MiError) => void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class MiChannel extends EventEmitter<MiChannelEvents> implements MiSender {
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;
  /** Why commands are refused, once they are ("gdb has exited", "gdb's pipe closed (…)"). */
  private refusal: string | undefined;
  private readonly inferiors = new Map<string, number>();
  private inParts: string[] = [];
  private outQueue: string[] = [];

  constructor(
    private readonly stream: MiStream,
    opts: MiChannelOptions,
  ) {
    super();
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    stream.onData((chunk) => this.onData(chunk));
    stream.onClose((reason, err) => this.onStreamClosed(reason, err));
  }

  /** False once the stream closed or the channel was shut down. */
  get isOpen(): boolean {
    return this.refusal === undefined;
  }

  /** PIDs of the processes gdb is attached to, from =thread-group-started/exited. */
  get attachedPids(): number[] {
    return [...this.inferiors.values()];
  }

  /**
   * Sends one MI command. String arguments are always quoted (see escape.ts). Resolves on
   * ^done/^running/^connected/^exit; rejects with a coded MiError created here.
   */
  send(name: string, args: readonly MiArg[] = [], opts: SendOptions = {}): Promise<MiReply> {
    const site = new CallSite(this.send);
    const token = this.nextToken++;
    let line: string;
    try {
      line = formatCommand(token, name, args);
    } catch (err) {
      return Promise.reject(site.attach(err as MiError));
    }
    const display = line.slice(String(token).length);
    if (this.refusal !== undefined) {
      return Promise.reject(site.attach(new MiError(MiErrorCode.GDB_EXITED, `${this.refusal}; cannot send ${name}`, { command: display })));
    }
    return new Promise<MiReply>((resolve, reject) => {
      const p: Pending = { token, line: display, name, site, console: [], log: [], timer: undefined, abandoned: false, resolve, reject };
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      p.timer = setTimeout(() => {
        p.abandoned = true;
        p.timer = undefined;
        this.log.warn({ token, command: display, timeoutMs }, 'MI command timed out');
        reject(site.attach(new MiError(MiErrorCode.TIMEOUT, `gdb did not answer ${name} within ${timeoutMs} ms`, { command: display })));
      }, timeoutMs);
      this.pending.set(token, p);
      this.log.trace({ mi: 'out', line }, 'MI >');
      this.emit('line-out', line);
      this.queueLine(line);
    });
  }

  /**
   * Commands sent in the same turn of the event loop (a round of reads) go to gdb in one
   * write: one pipe wakeup for gdb instead of one per command.
   */
  private queueLine(line: string): void {
    this.outQueue.push(line + '\n');
    if (this.outQueue.length > 1) return;
    queueMicrotask(() => {
      const text = this.outQueue.join('');
      this.outQueue = [];
      if (this.refusal === undefined) this.stream.write(text);
    });
  }

  /**
   * Resolves with the first async record matching `pred` that arrives after this call.
   * Set it up before sending the command that causes the record.
   */
  waitForAsync(pred: (r: MiAsyncRecord) => boolean, timeoutMs: number, what = 'async record'): Promise<MiAsyncRecord> {
    const site = new CallSite(this.waitForAsync);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('async', onAsync);
        this.off('shut', onShut);
      };
      const onAsync = (r: MiAsyncRecord): void => {
        if (!pred(r)) return;
        cleanup();
        resolve(r);
      };
      const onShut = (): void => {
        cleanup();
        reject(site.attach(new MiError(MiErrorCode.GDB_EXITED, `gdb exited while waiting for ${what}`)));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(site.attach(new MiError(MiErrorCode.TIMEOUT, `no ${what} within ${timeoutMs} ms`)));
      }, timeoutMs);
      if (this.refusal !== undefined) return onShut();
      this.on('async', onAsync);
      this.on('shut', onShut);
    });
  }

  /**
   * The process behind the stream is gone: replies already received are taken, then every
   * pending command is rejected (`${pendingWhy} before answering X`) and new ones are
   * refused (`${why}; cannot send X`). Later calls only change the refusal's wording.
   */
  shutDown(why: string, pendingWhy: string): void {
    this.flushPartialLine();
    const first = this.refusal === undefined;
    this.refusal = why;
    this.rejectAllPending(pendingWhy);
    if (first) this.emit('shut');
  }

  /** The stream closed: no reply can arrive any more. The stream's input is ended too. */
  private onStreamClosed(reason: string, err?: Error): void {
    if (this.refusal !== undefined) return;
    this.flushPartialLine();
    this.refusal = `gdb's pipe closed (${reason})`;
    this.rejectAllPending(this.refusal);
    this.log.debug({ err, reason }, 'pipe to gdb closed');
    this.emit('pipe-closed', reason);
    this.emit('shut');
    this.stream.end();
  }

  /** A last line without its newline is still a complete record. */
  private flushPartialLine(): void {
    if (this.inParts.length > 0) {
      const line = this.inParts.join('');
      this.inParts = [];
      this.onLine(line);
    }
  }

  private rejectAllPending(why: string): void {
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      if (!p.abandoned) p.reject(p.site.attach(new MiError(MiErrorCode.GDB_EXITED, `${why} before answering ${p.name}`, { command: p.line })));
    }
    this.pending.clear();
  }

  private onData(chunk: string): void {
    // Long lines (a large memory read is megabytes of hex) arrive in many chunks: keep the
    // pieces and join once, instead of re-copying a growing string per chunk.
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      const line = this.inParts.length > 0 ? this.inParts.join('') + piece : piece;
      this.inParts = [];
      this.onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.inParts.push(chunk.slice(start));
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    if (this.log.isLevelEnabled('trace')) {
      this.log.trace({ mi: 'in', line: line.length > 2000 ? `${line.slice(0, 2000)}…(${line.length} chars)` : line }, 'MI <');
    }
    this.emit('line-in', line);
    const rec = parseLine(line);
    this.emit('record', rec);
    switch (rec.kind) {
      case 'result':
        return this.onResult(rec);
      case 'exec':
      case 'status':
      case 'notify':
        this.trackInferiors(rec);
        this.emit('async', rec);
        return;
      case 'console':
      case 'log':
      case 'target': {
        // Thread notices are unsolicited (see notices.ts): still a stream event, never output.
        if (rec.kind === 'console' && isThreadNotice(rec.text)) {
          this.log.trace({ notice: rec.text.trimEnd() }, 'thread notice');
        } else if (rec.kind !== 'target') {
          const head = this.pending.values().next();
          if (!head.done) head.value[rec.kind].push(rec.text);
        }
        this.emit('stream', rec);
        return;
      }
      case 'prompt':
        return;
      case 'parse-error':
        this.log.warn({ line: rec.line.slice(0, 500), message: rec.message }, 'unparsable MI line');
        this.emit('parse-error', rec);
        return;
    }
  }

  private onResult(rec: MiResultRecord): void {
    const token = rec.token === undefined ? undefined : Number(rec.token);
    const p = token === undefined ? undefined : this.pending.get(token);
    if (!p) {
      // e.g. the second ^running of "attach PID &"; never a reply to another command.
      this.log.debug({ token: rec.token, class: rec.class }, 'result record without a pending command');
      return;
    }
    this.pending.delete(p.token);
    if (p.timer) clearTimeout(p.timer);
    if (p.abandoned) {
      this.log.debug({ token, command: p.line }, 'late reply to a timed-out command dropped');
      return;
    }
    if (rec.class === 'error') {
      const msg = typeof rec.results.msg === 'string' ? rec.results.msg : 'unknown error';
      p.reject(p.site.attach(new MiError(MiErrorCode.COMMAND_FAILED, `${p.name} failed: ${msg}`, { command: p.line, gdbMessage: msg })));
      return;
    }
    p.resolve({ record: rec, console: p.console, log: p.log });
  }

  private trackInferiors(rec: MiAsyncRecord): void {
    if (rec.kind !== 'notify') return;
    const id = rec.results.id;
    if (typeof id !== 'string') return;
    if (rec.class === 'thread-group-started' && typeof rec.results.pid === 'string') {
      this.inferiors.set(id, Number(rec.results.pid));
    } else if (rec.class === 'thread-group-exited') {
      this.inferiors.delete(id);
    }
  }
}
