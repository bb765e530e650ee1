// Every internal error code a client can meet has its own wire code: INTERNAL is only for
// what nobody foresaw.
import t from 'tap';
import { BridgeError, BridgeErrorCode } from '../../bridge/errors.ts';
import { GoErrorCode } from '../../bridge/go/errors.ts';
import { MiErrorCode } from '../../bridge/mi/errors.ts';
import { SshErrorCode } from '../../bridge/access/remote/errors.ts';
import { toWireError } from '../../bridge/targets/wire-errors.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';

// The manager retries on SESSION_CLOSED; it never reaches a client.
const NEVER_SENT = new Set<string>([BridgeErrorCode.SESSION_CLOSED]);
const internal = [...Object.values(GoErrorCode), ...Object.values(MiErrorCode), ...Object.values(SshErrorCode), ...Object.values(BridgeErrorCode)];

/** An error with any code (the base class is not made directly in the bridge: tests only). */
class AnyCodeError extends BridgeError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

t.test('every internal code maps to a specific wire code', async (t) => {
  for (const code of internal) {
    if (NEVER_SENT.has(code)) continue;
    const w = toWireError(new AnyCodeError(code, 'one line'));
    t.not(w.code, 'INTERNAL', `${code} → ${w.code}`);
    t.ok(w.code in ERROR_CODES, `${w.code} is a protocol code`);
    t.equal(w.message, 'one line');
  }
});

t.test('shutdown and remote failures have their own codes', async (t) => {
  t.equal(toWireError(new AnyCodeError('BRIDGE_ERR_CLOSING', 'x')).code, 'SHUTTING_DOWN');
  t.equal(toWireError(new AnyCodeError(SshErrorCode.REMOTE, 'x')).code, 'REMOTE_FAILED');
  t.equal(toWireError(new Error('surprise')).code, 'INTERNAL', 'anything else stays INTERNAL');
});

t.test('issue 13: each case has the code the protocol names', async (t) => {
  const cases: Array<[string, string]> = [
    ['GO_ERR_CORE_BUILD_MISMATCH', 'BAD_CORE'],
    ['GO_ERR_BAD_CORE', 'BAD_CORE'],
    ['GO_ERR_NO_SUCH_FILE', 'BAD_REQUEST'],
    ['GO_ERR_NOT_A_FILE', 'BAD_REQUEST'],
    ['GO_ERR_RESOURCES', 'RESOURCE_EXHAUSTED'],
    ['GO_ERR_TARGET_BUSY', 'TARGET_BUSY'],
    ['GO_ERR_PTRACE_DENIED', 'PERMISSION_DENIED'],
    ['BRIDGE_ERR_TOO_MANY_TARGETS', 'TOO_MANY_TARGETS'],
  ];
  for (const [internal, wire] of cases) t.equal(toWireError(new AnyCodeError(internal, 'x')).code, wire, `${internal} → ${wire}`);
});
