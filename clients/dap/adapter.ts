// The DAP session: translates requests to the engine and variables view, and engine news to
// events. Nothing here reads MemStats or talks to a bridge itself.
//
// VS Code shows variables only for a stopped thread's frame, so the one pseudo-thread is
// presented as stopped (the target never is: the bridge reads it from outside), with one
// frame whose scopes are the MemStats groups. New samples refresh the view through
// InvalidatedEvent; Continue or Pause refreshes it on demand.
import {
  InitializedEvent, InvalidatedEvent, Logger, LoggingDebugSession, OutputEvent, StackFrame, StoppedEvent, TerminatedEvent, Thread, logger as dapLogger,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Logger as Pino } from 'pino';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { BridgeClientError } from '../shared/bridge-client.ts';
import { parseAttachArgs, type AttachArgs } from './attach-args.ts';
import { MemStatsEngine } from './engine.ts';
import { summaryLine } from './summary.ts';
import { Gate, Throttle } from './throttle.ts';
import { MemStatsVariables } from './variables.ts';

const THREAD_ID = 1;
const FRAME_ID = 1;
/** body.error.id of every error response; the wire code, when there is one, is in variables.code */
const ERROR_ID = 4711;

export class MstatDebugSession extends LoggingDebugSession {
  private engine: MemStatsEngine | undefined;
  private args: AttachArgs | undefined;
  private latest: SampleMessage | undefined;
  private readonly view = new MemStatsVariables();
  private clientInvalidates = false;
  private configured = false;
  /** the pseudo-stop has been presented; from then on samples refresh the view */
  private presented = false;
  private terminated = false;
  private refresh: Throttle | undefined;
  private summaryGate: Gate | undefined;
  private releasing: Promise<void> | undefined;

  constructor(
    private readonly log: Pino,
    isServer: boolean,
  ) {
    super(undefined, undefined, isServer);
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    super.start(inStream, outStream);
    // Until setup() the library's logger queues every message forever; Stop keeps it quiet.
    dapLogger.setup(Logger.LogLevel.Stop, false);
  }

  // ------------------------------------------------------------------ plumbing

  /**
   * Runs a handler and answers: its result as the response, anything it throws (sync or
   * async) as an error response. Resolves true when the response was a success.
   */
  private run(response: DebugProtocol.Response, fn: () => void | Promise<void>): Promise<boolean> {
    return Promise.resolve()
      .then(fn)
      .then(
        () => {
          this.sendResponse(response);
          return true;
        },
        (err: unknown) => {
          this.fail(response, err);
          return false;
        },
      );
  }

  private fail(response: DebugProtocol.Response, err: unknown): void {
    const code = err instanceof BridgeClientError ? err.code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    // Hovers evaluate any word under the mouse: their misses are routine.
    this.log[response.command === 'evaluate' ? 'debug' : 'warn']({ command: response.command, code, err }, 'request failed');
    this.sendErrorResponse(response, {
      id: ERROR_ID,
      format: code === undefined ? message : `${message} [${code}]`,
      showUser: response.command === 'attach',
      ...(code === undefined ? {} : { variables: { code } }),
    });
  }

  private console(text: string, category: 'console' | 'stderr' | 'important' = 'console'): void {
    this.sendEvent(new OutputEvent(text.endsWith('\n') ? text : text + '\n', category));
  }

  private attached(): MemStatsEngine {
    if (!this.engine) throw new Error('not attached: send attach first');
    return this.engine;
  }

  // ------------------------------------------------------------------ lifecycle

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientInvalidates = args.supportsInvalidatedEvent === true;
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsEvaluateForHovers: true,
      supportsClipboardContext: true,
      supportTerminateDebuggee: false,
      supportsTerminateRequest: false,
      supportsSetVariable: false,
      supportsRestartRequest: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, raw: DebugProtocol.AttachRequestArguments): void {
    void this.run(response, async () => {
      if (this.engine || this.args) throw new Error('already attached: one target per debug session');
      const args = parseAttachArgs(raw);
      this.args = args;
      if (args.trace) dapLogger.setup(Logger.LogLevel.Verbose, false);
      this.refresh = new Throttle(args.refreshMs, () => this.invalidate());
      this.summaryGate = new Gate(args.summaryMs);
      try {
        this.engine = await MemStatsEngine.start(
          { pid: args.pid, bridge: args.bridge, token: args.token, mode: args.mode, intervalMs: args.intervalMs, log: this.log.child({ pid: args.pid }) },
          {
            sample: (s) => this.onSample(s),
            exited: () => this.end(`target pid ${args.pid} exited`, 'console'),
            notice: (m) => this.console(m),
            failed: (err) => this.end(`MemStats of pid ${args.pid} stopped: ${err.message}${err instanceof BridgeClientError ? ` [${err.code}]` : ''}`, 'stderr'),
          },
        );
      } catch (err) {
        this.args = undefined;
        const message = `cannot attach to pid ${args.pid}: ${err instanceof Error ? err.message : String(err)}`;
        throw err instanceof BridgeClientError ? new BridgeClientError(err.code, message) : new Error(message, { cause: err });
      }
      const e = this.engine;
      if (this.terminated) {
        // The client went away while we were attaching: release what the attach just took.
        await e.close();
        throw new Error('the debug session ended during the attach');
      }
      const via = e.privateBridge ? `a private bridge (pid ${e.privateBridge.pid}, ${e.url})` : e.url;
      this.console(`attached to pid ${e.target.pid} (${e.target.goVersion}, ${e.target.exe}) through ${via}: ${args.mode} samples every ${args.intervalMs} ms`);
      this.maybePresent();
    });
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    void this.run(response, () => {
      this.configured = true;
    }).then(() => this.maybePresent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    // Detach only: the target keeps running (terminateDebuggee is not supported).
    void this.run(response, () => this.release()).then(() => this.shutdown());
  }

  /** Called on disconnect and when the client's stream closes: release everything first. */
  override shutdown(): void {
    void this.release().finally(() => super.shutdown());
  }

  /** Unsubscribes, closes the client, stops a private bridge. Idempotent. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      this.terminated = true;
      this.refresh?.cancel();
      await this.engine?.close();
    })();
    return this.releasing;
  }

  // ------------------------------------------------------------------ engine news

  private onSample(s: SampleMessage): void {
    if (this.terminated) return;
    this.latest = s;
    // Summaries start after the "attached" line (a first sample can arrive before the attach returns).
    if (this.engine && this.args?.summary && this.summaryGate?.pass()) this.console(summaryLine(s));
    if (!this.presented) return this.maybePresent();
    if (this.args?.autoRefresh && this.clientInvalidates) this.refresh?.call();
  }

  /** The first pseudo-stop: once attached, configured and a sample is there. */
  private maybePresent(): void {
    if (this.presented || !this.configured || !this.engine || !this.latest || this.terminated) return;
    this.presented = true;
    this.present('entry');
  }

  private present(reason: 'entry' | 'pause'): void {
    if (!this.latest || this.terminated) return;
    this.view.pin(this.latest);
    const ev = new StoppedEvent(reason, THREAD_ID) as DebugProtocol.StoppedEvent;
    ev.body.description = `MemStats of pid ${this.latest.target.pid} (the process keeps running; Continue refreshes)`;
    ev.body.allThreadsStopped = true;
    this.sendEvent(ev);
  }

  private invalidate(): void {
    if (!this.latest || this.terminated) return;
    this.view.pin(this.latest);
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  private end(message: string, category: 'console' | 'stderr'): void {
    if (this.terminated) return;
    this.console(message, category);
    void this.release();
    this.sendEvent(new TerminatedEvent());
  }

  // ------------------------------------------------------------------ inspection

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    void this.run(response, () => {
      response.body = { threads: this.engine ? [new Thread(THREAD_ID, `MemStats of pid ${this.engine.target.pid}`)] : [] };
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse): void {
    void this.run(response, () => {
      const s = this.view.pinned;
      const frame = new StackFrame(FRAME_ID, `MemStats of pid ${this.attached().target.pid}${s ? ` (${s.target.goVersion}), sample #${s.seq} at ${s.time}` : ''}`);
      response.body = { stackFrames: s ? [frame] : [], totalFrames: s ? 1 : 0 };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse): void {
    void this.run(response, () => {
      response.body = { scopes: this.view.scopes() };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    void this.run(response, () => {
      response.body = { variables: this.view.variables(args.variablesReference) };
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void this.run(response, () => {
      if (!this.latest) throw new Error(this.engine ? 'no sample yet' : 'not attached: send attach first');
      response.body = this.view.evaluate(this.latest, args.expression, args.context);
    });
  }

  /** Continue and Pause refresh the view on demand: the pseudo-thread stops again at once, on the newest sample. */
  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    void this.run(response, () => {
      this.attached();
      response.body = { allThreadsContinued: true };
    }).then((ok) => ok && this.present('pause'));
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    void this.run(response, () => void this.attached()).then((ok) => ok && this.present('pause'));
  }

  /** Clients send breakpoints they have; none can be set here, and they say so. */
  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const message = 'mstat reads MemStats only; it sets no breakpoints';
    response.body = { breakpoints: (args.breakpoints ?? []).map((b) => ({ verified: false, line: b.line, message })) };
    this.sendResponse(response);
  }
}
