// Every internal error code a client can meet has its own wire code: INTERNAL is only for
// what nobody foresaw.
import t from 'tap';
import { BridgeError } from '../../bridge/errors.ts';
import { GoErrorCode } from '../../bridge/go/errors.ts';
import { MiErrorCode } from '../../bridge/mi/errors.ts';
import { SshErrorCode } from '../../bridge/remote/errors.ts';
import { SESSION_CLOSED } from '../../bridge/targets/session.ts';
import { toWireError } from '../../bridge/wire-errors.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';

// The manager retries on SESSION_CLOSED; it never reaches a client.
const NEVER_SENT = new Set<string>([SESSION_CLOSED]);
const internal = [...Object.values(GoErrorCode), ...Object.values(MiErrorCode), ...Object.values(SshErrorCode), 'BRIDGE_ERR_POLICY', 'BRIDGE_ERR_CLOSING', 'BRIDGE_ERR_TOO_MANY_TARGETS'];

t.test('every internal code maps to a specific wire code', async (t) => {
  for (const code of internal) {
    if (NEVER_SENT.has(code)) continue;
    const w = toWireError(new BridgeError(code, 'one line'));
    t.not(w.code, 'INTERNAL', `${code} → ${w.code}`);
    t.ok(w.code in ERROR_CODES, `${w.code} is a protocol code`);
    t.equal(w.message, 'one line');
  }
});

t.test('shutdown and remote failures have their own codes', async (t) => {
  t.equal(toWireError(new BridgeError('BRIDGE_ERR_CLOSING', 'x')).code, 'SHUTTING_DOWN');
  t.equal(toWireError(new BridgeError(SshErrorCode.REMOTE, 'x')).code, 'REMOTE_FAILED');
  t.equal(toWireError(new Error('surprise')).code, 'INTERNAL', 'anything else stays INTERNAL');
});
