// The one HTTP server: /v1/ws (WebSocket upgrade), /metrics, /healthz, and the dashboard at
// `/` (server/dashboard.ts). Loopback by default; a token guards the data when configured.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import type { Config } from '../config-schema.ts';
import type { TargetManager } from '../targets/manager.ts';
import { MAX_CLIENT_FRAME, WS_PATH } from '../../protocol/version.ts';
import { targetKey } from '../../protocol/target.ts';
import { authorized, originAllowed } from './auth.ts';
import { HostCheck } from './host-check.ts';
import { isDashboardPath, serveDashboard } from './dashboard.ts';
import { Connection } from './connection.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.ts';

export interface HttpServer {
  server: Server;
  wss: WebSocketServer;
  connections: Set<Connection>;
  close(): Promise<void>;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/** `token`: what clients must present (undefined: --no-auth). */
export function createHttpServer(cfg: Config, manager: TargetManager, log: Logger, token: string | undefined): HttpServer {
  const connections = new Set<Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  const perAddress = new Map<string, number>();
  wss.on('connection', (ws, req) => {
    const address = req.socket.remoteAddress ?? '?';
    const mine = perAddress.get(address) ?? 0;
    const full = connections.size >= cfg.maxConnections ? `${cfg.maxConnections} connections in all (--max-connections)` : mine >= cfg.maxConnectionsPerAddress ? `${cfg.maxConnectionsPerAddress} connections from ${address} (--max-connections-per-address)` : undefined;
    if (full) {
      // Told in the protocol's own terms, then closed: 1013 is "try again later".
      ws.send(JSON.stringify({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: `the bridge has ${full} already; close one or try again later` }));
      ws.close(1013, 'too many connections');
      return;
    }
    perAddress.set(address, mine + 1);
    const c = new Connection(ws, manager, cfg, log.child({ client: address }));
    connections.add(c);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('close', () => {
      connections.delete(c);
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
  });
  // Heartbeat: a peer that misses a ping round is terminated (its subscriptions end).
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, cfg.heartbeatMs);
  heartbeat.unref();

  const hosts = new HostCheck(cfg.host, cfg.allowHosts);
  const misdirected = `this bridge answers only for its own address, localhost and the names given with --allow-hosts`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!hosts.allows(req)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end(`${misdirected}\n`);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/healthz') {
      // Degraded (503) while any target read or pinned here has a problem: down, stopped, failing.
      const problems = manager.health().flatMap((h) => (h.problem ? [{ target: targetKey(h.ref), ...h.problem }] : []));
      const ok = problems.length === 0;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      // A probe needs no token; what is read, and why it fails, is for the token's holders.
      const details = authorized(req, token) ? { targets: manager.targetCount, subscribers: manager.subscriberCount, connections: connections.size, problems } : {};
      res.end(JSON.stringify({ ok, status: ok ? 'ok' : 'degraded', ...details }));
      return;
    }
    if (path === '/metrics') {
      if (!authorized(req, token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
        return;
      }
      const body = renderMetrics(
        manager.snapshot().flatMap((s) => (s.info ? [{ target: s.info, sample: s.latest }] : [])),
        {
          bridge: { targets: manager.targetCount, subscribers: manager.subscriberCount },
          health: manager.health().map((h) => ({
            target: targetKey(h.ref),
            pid: 'pid' in h.ref ? h.ref.pid : undefined,
            up: h.up,
            errors: [...h.errors],
            unexpectedStops: h.unexpectedStops,
          })),
        },
      );
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(body);
      return;
    }
    // The dashboard page holds no data, so it needs no token; its WebSocket does.
    if (isDashboardPath(path)) {
      void serveDashboard(req, res, path, log);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hosts.allows(req)) return reject(socket, 421, 'Misdirected Request');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH) return reject(socket, 404, 'Not Found');
    if (!originAllowed(req)) return reject(socket, 403, 'Forbidden');
    if (!authorized(req, token)) return reject(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    server,
    wss,
    connections,
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(1001, 'bridge shutting down');
      for (const c of connections) c.close();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
