// Asserting a coded BridgeError: its class, its stable code and its one-line message.
import type { Test } from 'tap';
import { BridgeError } from '../../bridge/errors.ts';

export async function rejectsWithCode(t: Test, p: Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  try {
    await p;
    t.fail(`expected ${code}, got success`);
  } catch (err) {
    t.ok(err instanceof BridgeError, 'a BridgeError');
    t.equal((err as BridgeError).code, code);
    t.match((err as BridgeError).message, msg);
  }
}
