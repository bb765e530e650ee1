// The one error base of the bridge: every failure carries a stable code that logs,
// the CLI and (later) the wire protocol can rely on. Codes are listed in README.md.
// Each layer has its own code union and error class (GoError, MiError, SshError, ServiceError);
// the base cannot be made directly, so every code comes from a union, and the wire mapping
// (targets/wire-errors.ts) must name every member of every union to compile.
export class BridgeError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>> | undefined;

  protected constructor(code: string, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context;
  }
}

export function isBridgeError(err: unknown): err is BridgeError {
  return err instanceof BridgeError;
}

/** Codes of the service itself (targets, policy, limits). */
export const BridgeErrorCode = {
  /** refused by --allow-pids / --allow-exes / --same-uid */
  POLICY: 'BRIDGE_ERR_POLICY',
  CLOSING: 'BRIDGE_ERR_CLOSING',
  TOO_MANY_TARGETS: 'BRIDGE_ERR_TOO_MANY_TARGETS',
  /** open() on a session that is closing; never reaches a client (the manager starts over) */
  SESSION_CLOSED: 'BRIDGE_ERR_SESSION_CLOSED',
} as const;
export type BridgeErrorCode = (typeof BridgeErrorCode)[keyof typeof BridgeErrorCode];

export class ServiceError extends BridgeError {
  declare readonly code: BridgeErrorCode;
  constructor(code: BridgeErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }
}
