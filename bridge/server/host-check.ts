// DNS rebinding: a web page the user visits can point its own name at 127.0.0.1 and send
// requests that carry that name in Host (and a matching Origin). So the bridge answers only
// for names it knows: IP literals (a page can only be served from an IP by that address
// itself), `localhost` and its subdomains, the address it listens on, and the names given
// with --allow-hosts. Everything else gets 421 on every route, WebSocket upgrades included.
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** The host name of a Host header (or URL host), lowercased, without port or brackets. */
export function hostName(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([^:[\]]+)(?::\d{1,5})?$/.exec(h);
  return m?.[1]?.replace(/\.$/, '');
}

export class HostCheck {
  private readonly names: ReadonlySet<string>;

  /** `listenHost`: the address the bridge binds; `allowed`: extra names (--allow-hosts). */
  constructor(listenHost: string, allowed: readonly string[] = []) {
    // (An IP listen address needs no entry: IP literals are always allowed.)
    this.names = new Set([listenHost, ...allowed].map((n) => n.toLowerCase().replace(/\.$/, '')));
  }

  /** A host name (from Host or Origin) the bridge answers for. */
  allowsName(name: string): boolean {
    if (isIP(name) !== 0) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    return this.names.has(name);
  }

  /** The request's Host is one of ours (a request without Host is not from a browser). */
  allows(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (host === undefined) return true;
    const name = hostName(host);
    return name !== undefined && this.allowsName(name);
  }
}
