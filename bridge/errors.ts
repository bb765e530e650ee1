// The one error base of the bridge: every failure carries a stable code that logs,
// the CLI and (later) the wire protocol can rely on. Codes are listed in README.md.
export class BridgeError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context;
  }
}

export function isBridgeError(err: unknown): err is BridgeError {
  return err instanceof BridgeError;
}
