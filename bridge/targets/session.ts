// One target read by one gdb, shared by every subscriber to it: attaches on the first
// subscription, samples at the smallest interval asked for (each subscriber is served at its
// own interval), survives gdb dying (restart with backoff), reports the target's exit, and
// detaches after the last subscriber leaves (after a short linger). A target that exec's
// another program is attached again (its layout is resolved anew); one that stays stopped is
// reported (the reader also undoes the stop, see go/stop-monitor.ts).
import type { Logger } from '../log.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import type { TargetAccess } from '../go/target-access.ts';
import { TargetReader, type Sample, type SampleMode } from '../go/target.ts';
import { targetKey, type TargetInfo, type TargetRef } from '../../protocol/target.ts';
import { BridgeErrorCode, isBridgeError, ServiceError } from '../errors.ts';
import { MiErrorCode } from '../mi/errors.ts';
import { nextDue } from './cadence.ts';
import type { TargetHealth } from './health.ts';
import { DEFAULT_RECYCLE, RecycleClock, type RecyclePolicy } from './recycle.ts';


export interface Subscriber {
  intervalMs: number;
  mode: SampleMode;
  onSample(sample: Sample, info: TargetInfo): void;
  /** the target exited: the subscription is over */
  onExit(): void;
  /** a recoverable problem (gdb restarting) or a final one (`final`: the subscription is over) */
  onError(err: unknown, final: boolean): void;
}

interface SubState {
  sub: Subscriber;
  nextDue: number;
}

export interface SessionOptions {
  ref: TargetRef;
  /** a fresh access for each attach (a remote one owns its tunnel) */
  access: () => TargetAccess;
  log: Logger;
  lingerMs: number;
  /** where layouts are cached (undefined: $MSTAT_CACHE_DIR or the XDG default) */
  cacheDir?: string | undefined;
  /** the gdb to run (undefined: $MSTAT_GDB or gdb on PATH) */
  gdbPath?: string | undefined;
  /** where the target's health is kept (shared with /healthz and /metrics) */
  health: TargetHealth;
  /** when gdb is replaced by a fresh one (undefined: DEFAULT_RECYCLE) */
  recycle?: RecyclePolicy | undefined;
  onClosed(): void;
}

const BACKOFF_MS = [100, 250, 500, 1000, 2000, 5000];
const MAX_RESTARTS = 8;

/** Attach errors that another attempt cannot fix: the subscription ends at once. */
const PERMANENT = new Set<string>([
  GoErrorCode.NOT_GO,
  GoErrorCode.NOT_ELF,
  GoErrorCode.NO_DWARF,
  GoErrorCode.NO_SYMBOLS,
  GoErrorCode.BUILD_ID_MISMATCH,
  GoErrorCode.UNSUPPORTED_VERSION,
  GoErrorCode.LAYOUT,
  GoErrorCode.PTRACE_DENIED,
  GoErrorCode.UNREADABLE,
  GoErrorCode.BAD_CORE,
  MiErrorCode.GDB_MISSING,
  MiErrorCode.GDB_UNSUPPORTED,
  MiErrorCode.SIGNALS_NOT_PASSED,
]);

export class TargetSession {
  readonly ref: TargetRef;
  readonly key: string;
  private target: TargetReader | undefined;
  private opening: Promise<TargetReader> | undefined;
  /** the access of the latest attach, for liveness and stop checks after a failure */
  private access: TargetAccess | undefined;
  private readonly subs = new Set<SubState>();
  private timer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** the detach in flight or done, once close() was called */
  private closing: Promise<void> | undefined;
  private restarts = 0;
  private sampling = false;
  /** the most recent sample, for /metrics */
  latest: Sample | undefined;
  private readonly recycleClock: RecycleClock;
  /** gdbs replaced by fresh ones so far (tests and benches) */
  recycled = 0;

  constructor(private readonly opts: SessionOptions) {
    this.ref = opts.ref;
    this.key = targetKey(opts.ref);
    this.recycleClock = new RecycleClock(opts.recycle ?? DEFAULT_RECYCLE);
  }

  get info(): TargetInfo | undefined {
    return this.target?.info;
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  /**
   * close() has been called: the session detaches (or has detached) and takes nobody new. The
   * manager waits for it and makes a fresh session for a new subscriber.
   */
  get isClosing(): boolean {
    return this.closed;
  }

  /**
   * Opens (attaches) if needed. Rejects with the attach error; the session is then unusable.
   * A closing session rejects with BRIDGE_ERR_SESSION_CLOSED (the manager retries on a fresh one).
   */
  async open(): Promise<TargetInfo> {
    if (this.closed) throw new ServiceError(BridgeErrorCode.SESSION_CLOSED, `target ${this.key} session is closed`);
    // A subscriber is on its way: a pending linger must not detach under it.
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.target) {
      // The watch is part of the one shared attach: subscribers arriving together must not each
      // add the reader's listeners (each event would then be counted and sent once per caller).
      this.opening ??= this.attach().then((reader) => this.watch(reader));
      try {
        this.target = await this.opening;
      } catch (err) {
        this.opts.health.fail(err);
        throw err;
      } finally {
        this.opening = undefined;
      }
    }
    return this.target.info;
  }

  /** A fresh access and reader; a process that exec'd while it was being attached is attached again. */
  private async attach(): Promise<TargetReader> {
    for (let attempt = 1; ; attempt++) {
      this.access = this.opts.access();
      try {
        return await TargetReader.open(this.access, { log: this.opts.log, cacheDir: this.opts.cacheDir, gdbPath: this.opts.gdbPath });
      } catch (err) {
        if (!(err instanceof GoError && err.code === GoErrorCode.TARGET_REPLACED) || attempt >= 3 || this.closed) throw err;
        this.opts.log.info({ err: err.message }, 'the process exec\'d while it was being attached; attaching again');
      }
    }
  }

  /** Reports what the reader sees happen to the target. */
  private watch(reader: TargetReader): TargetReader {
    const health = this.opts.health;
    health.ok();
    this.recycleClock.attached(reader.gdbPid);
    reader.on('unexpected-stop', () => health.unexpectedStops++);
    reader.on('target-stopped', (lasting) => {
      if (this.target !== reader) return;
      const err = new GoError(
        GoErrorCode.TARGET_STOPPED,
        `process ${reader.info.pid} has been stopped for ${(lasting.stoppedMs / 1000).toFixed(1)} s while attached (${lasting.cause === 'ours' ? 'our own stop did not end' : `threads ${lasting.threads.join(',')}`}); resuming it, detaching by force if gdb cannot`,
      );
      health.fail(err);
      for (const s of this.subs) s.sub.onError(err, false);
    });
    reader.on('target-running', () => {
      if (this.target === reader) health.ok();
    });
    return reader;
  }

  add(sub: Subscriber): () => void {
    const s: SubState = { sub, nextDue: 0 };
    this.subs.add(s);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.schedule(0);
    return () => this.remove(s);
  }

  private remove(s: SubState): void {
    if (!this.subs.delete(s)) return; // unsubscribed twice
    if (this.subs.size === 0 && !this.closed) {
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.lingerTimer = setTimeout(() => void this.close(), this.opts.lingerMs);
      this.lingerTimer.unref();
    }
  }

  private timerDue = 0;

  private schedule(delayMs: number): void {
    if (this.closed) return;
    const due = Date.now() + Math.max(0, delayMs);
    if (this.timer) {
      if (due >= this.timerDue) return;
      clearTimeout(this.timer); // a new subscriber is due before the pending tick
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, Math.max(0, delayMs));
  }

  private async tick(): Promise<void> {
    if (this.closed || this.sampling || this.subs.size === 0) return;
    const now = Date.now();
    // Subscribers due soon ride along with this read (up to a quarter of their interval early),
    // so many subscribers at similar intervals share reads instead of each causing its own.
    const due = [...this.subs].filter((s) => s.nextDue <= now + Math.min(s.sub.intervalMs / 4, 50));
    if (due.length === 0) return this.scheduleNext();
    this.sampling = true;
    try {
      if (!this.target) await this.open();
      const target = this.target!;
      // One read serves every due subscriber; a consistent one also serves live subscribers.
      const mode: SampleMode = due.some((s) => s.sub.mode === 'consistent') ? 'consistent' : 'live';
      const sample = await target.sample(mode);
      this.latest = sample;
      this.restarts = 0;
      if (!target.stopped) this.opts.health.ok();
      // Those on a cadence first, so that a first sample can join one (see cadence.ts).
      const first = due.filter((s) => s.nextDue === 0);
      for (const s of due) if (s.nextDue !== 0) s.nextDue = nextDue(s.nextDue, now, s.sub.intervalMs);
      for (const s of first) {
        const peer = [...this.subs].find((o) => o.nextDue !== 0 && o.sub.intervalMs === s.sub.intervalMs);
        s.nextDue = nextDue(0, now, s.sub.intervalMs, peer?.nextDue);
      }
      for (const s of due) if (this.subs.has(s)) s.sub.onSample(sample, target.info);
      const why = this.recycleClock.sampled();
      if (why !== undefined) await this.recycle(target, why);
    } catch (err) {
      await this.onFailure(err);
    } finally {
      this.sampling = false;
    }
    this.scheduleNext();
  }

  /**
   * A fresh gdb for the same target, between two samples: detach (the target runs on, never
   * stopped: no sample is in flight) and attach again, warm from the layout cache. Subscribers
   * see no error, only a longer interval; an attach that fails goes the way of any failure.
   */
  private async recycle(old: TargetReader, why: string): Promise<void> {
    this.opts.log.info({ target: this.key, gdbPid: old.gdbPid, why }, 'replacing gdb with a fresh one');
    this.target = undefined;
    await old.close();
    if (this.closed) return;
    await this.open();
    this.recycled++;
  }

  private scheduleNext(): void {
    if (this.closed || this.subs.size === 0) return;
    const next = Math.min(...[...this.subs].map((s) => s.nextDue));
    this.schedule(next - Date.now());
  }

  private async onFailure(err: unknown): Promise<void> {
    const health = this.opts.health;
    // The reader knew it exited: no liveness check (over ssh it is a round trip).
    const exited = err instanceof GoError && (err.code === GoErrorCode.TARGET_EXITED || err.code === GoErrorCode.NO_SUCH_PROCESS);
    if (exited || (this.access && !(await this.access.alive().catch(() => true)))) {
      this.opts.log.info({ target: this.key }, 'target exited');
      health.fail(new GoError(GoErrorCode.TARGET_EXITED, `process ${this.key} exited`));
      for (const s of this.subs) s.sub.onExit();
      this.subs.clear();
      await this.close();
      return;
    }
    health.fail(err);
    // exec: what was resolved belongs to the old program. Attach again at once (the next tick
    // opens a new reader, which resolves the new program's layout); not a failure of ours.
    if (err instanceof GoError && err.code === GoErrorCode.TARGET_REPLACED) {
      this.opts.log.info({ target: this.key, err: err.message }, 'target replaced its program; attaching again');
      for (const s of this.subs) s.sub.onError(err, false);
      const old = this.target;
      this.target = undefined;
      await old?.close().catch(() => undefined);
      return;
    }
    // The target cannot be read, and trying again will not change that (e.g. it exec'd a
    // program that is not Go): the subscriptions end with the reason.
    if (isBridgeError(err) && PERMANENT.has(err.code)) {
      this.opts.log.warn({ err, target: this.key }, 'target cannot be read; ending its subscriptions');
      for (const s of this.subs) s.sub.onError(err, true);
      this.subs.clear();
      await this.close();
      return;
    }
    // A read that failed while gdb is fine (memory moved under a live read, after retries) is
    // reported, and the next tick simply reads again: no reason to restart a healthy gdb.
    if (err instanceof GoError && err.code === GoErrorCode.READ_FAILED && this.target?.gdbAlive) {
      this.opts.log.debug({ err, target: this.key }, 'read failed; will read again');
      for (const s of this.subs) s.sub.onError(err, false);
      return;
    }
    // gdb died or misbehaved: tell subscribers, drop this gdb, reattach after a backoff.
    this.opts.log.warn({ err, target: this.key, restarts: this.restarts }, 'sampling failed; restarting gdb');
    const final = this.restarts >= MAX_RESTARTS;
    for (const s of this.subs) s.sub.onError(err, final);
    const old = this.target;
    this.target = undefined;
    await old?.close().catch(() => undefined);
    await this.access?.ensureRunning(this.opts.log, 300).catch(() => undefined);
    if (final) {
      this.subs.clear();
      await this.close();
      return;
    }
    await new Promise((r) => setTimeout(r, BACKOFF_MS[Math.min(this.restarts, BACKOFF_MS.length - 1)]));
    this.restarts++;
  }

  /** Detaches (the target keeps running) and stops sampling; every caller gets the same detach. */
  close(): Promise<void> {
    return (this.closing ??= this.detach());
  }

  private async detach(): Promise<void> {
    this.closed = true;
    if (this.opts.health.problem === undefined) this.opts.health.idle();
    if (this.timer) clearTimeout(this.timer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    const t = this.target ?? (await this.opening?.catch(() => undefined));
    this.target = undefined;
    await t?.close().catch((err: unknown) => this.opts.log.warn({ err }, 'close failed'));
    this.opts.onClosed();
  }

  /** The gdb process of the current attach (tests kill it to prove recovery). */
  get gdbPid(): number | undefined {
    return this.target?.gdbPid;
  }
}
