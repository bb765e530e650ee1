// Connecting mstat to a bridge: the typed client over Node's `ws`, the token in an
// Authorization header, and a failed connection told apart (refused, wrong token, not a
// bridge, no answer) in one line with exit status 7.
import WebSocket from 'ws';
import { BridgeClient, BridgeClientError, type WebSocketCtor } from '../shared/bridge-client.ts';
import { defaultTokenFile, readTokenFile } from '../../bridge/token-file.ts';
import { CliError, EXIT, exitForWireCode } from './exit-codes.ts';

/** A host that drops packets would otherwise keep mstat waiting for the kernel's TCP timeout. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** What the socket's error says, in words that point at the fix. */
export function describeConnectFailure(detail: string | undefined): string {
  if (detail === undefined) return 'the connection closed before it opened';
  const status = /Unexpected server response: (\d+)/.exec(detail)?.[1];
  if (status === '401') return `HTTP 401: the bridge wants a token, and this one is wrong or missing (--token, $MSTAT_TOKEN, or its token file ${process.env.MSTAT_TOKEN_FILE || defaultTokenFile()}, readable by the bridge's user)`;
  if (status === '403') return 'HTTP 403: the bridge refused this client';
  if (status === '404') return 'HTTP 404: no mstat-bridge WebSocket endpoint at that path (it is /v1/ws)';
  if (status !== undefined) return `HTTP ${status}: not an mstat-bridge WebSocket endpoint`;
  if (/ECONNREFUSED/.test(detail)) return 'connection refused: is mstat-bridge running and listening there?';
  if (/ENOTFOUND|EAI_AGAIN/.test(detail)) return 'host not found';
  if (/handshake has timed out/i.test(detail)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  return detail;
}

/** A client error (wire code or the client's own) as the CLI reports it. */
export function bridgeCliError(err: unknown, url: string, transient = false): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof BridgeClientError) {
    const where = err.code === 'DISCONNECTED' || err.code === 'TIMEOUT' || err.code === 'CLOSED' ? ` (bridge ${url})` : '';
    return new CliError(exitForWireCode(err.code), err.message + where, transient);
  }
  return new CliError(EXIT.failed, err instanceof Error ? err.message : String(err), transient);
}

/**
 * Connects (once: no reconnects, a lost bridge ends the run with status 7). Without a token
 * given, the one in the bridge's token file is used when this user can read it.
 */
export async function connectBridge(url: string, given: string | undefined): Promise<BridgeClient> {
  const token = given ?? readTokenFile(process.env.MSTAT_TOKEN_FILE || defaultTokenFile());
  let detail: string | undefined;
  class NodeWebSocket extends WebSocket {
    constructor(address: string) {
      super(address, { handshakeTimeout: CONNECT_TIMEOUT_MS, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      // The client library only sees the close (code 1006); the error says why.
      this.on('error', (e: Error) => (detail = e.message));
    }
  }
  try {
    // The token travels in the header above, not in the URL (which proxies and logs keep).
    return await BridgeClient.connect({ url, WebSocket: NodeWebSocket as unknown as WebSocketCtor, reconnect: false });
  } catch (err) {
    if (err instanceof BridgeClientError && err.code === 'CONNECT_FAILED') throw new CliError(EXIT.bridge, `cannot connect to the bridge at ${url}: ${describeConnectFailure(detail)}`);
    throw bridgeCliError(err, url);
  }
}
