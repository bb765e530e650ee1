// Composition root: config + logger in, a started bridge out. No MI or protocol logic here.
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';
import type { Config } from './config-schema.ts';
import { createHttpServer } from './server/http.ts';
import { defaultTokenFile, loadOrCreateToken } from './token-file.ts';
import { TargetManager } from './targets/manager.ts';
import { ScrapeProgram } from './targets/scrape-program.ts';
import { ScrapeTarget } from './targets/scrape.ts';

export interface Bridge {
  /** The bound address (port 0 gets a free port). */
  address: { host: string; port: number };
  /** What clients must present (undefined: --no-auth). */
  token: string | undefined;
  /** The dashboard's address, with the token in it. */
  dashboardUrl: string;
  manager: TargetManager;
  close(): Promise<void>;
}

export async function startBridge(cfg: Config, log: Logger, opts: { cacheDir?: string } = {}): Promise<Bridge> {
  const manager = new TargetManager({
    log: log.child({ component: 'targets' }),
    lingerMs: cfg.lingerMs,
    maxTargets: cfg.maxTargets,
    allowPids: cfg.allowPids,
    allowExes: cfg.allowExes,
    sameUid: cfg.sameUid,
    cacheDir: opts.cacheDir ?? cfg.cacheDir,
    gdbPath: cfg.gdbPath,
    recycle: { samples: cfg.gdbRecycleSamples, growthMiB: cfg.gdbRecycleMiB },
    access: { sshConfig: cfg.sshConfig },
  });
  // A token unless explicitly none: given, or kept in the token file (made at first start).
  const tokenFile = cfg.token === undefined && !cfg.noAuth ? (cfg.tokenFile ?? defaultTokenFile()) : undefined;
  const token = cfg.token ?? (tokenFile === undefined ? undefined : loadOrCreateToken(tokenFile));
  const http = createHttpServer(cfg, manager, log.child({ component: 'server' }), token);
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(cfg.port, cfg.host, () => resolve());
  });
  const a = http.server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const dashboardUrl = `http://${host}:${a.port}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
  log.info({ host: a.address, port: a.port, auth: token === undefined ? 'none' : 'token', ...(tokenFile === undefined ? {} : { tokenFile }), dashboard: dashboardUrl }, 'bridge listening');

  // Targets kept attached for /metrics without a WebSocket client.
  const scrapeLog = log.child({ component: 'scrape' });
  const scraped = cfg.scrapeAttach.map((t) =>
    'program' in t
      ? new ScrapeProgram(manager, t.program, cfg.scrapeIntervalMs, scrapeLog)
      : new ScrapeTarget(manager, t.exe === undefined ? { pid: t.pid } : { pid: t.pid, exe: t.exe }, cfg.scrapeIntervalMs, scrapeLog),
  );
  for (const s of scraped) s.start();

  let closing: Promise<void> | undefined;
  return {
    address: { host: a.address, port: a.port },
    token,
    dashboardUrl,
    manager,
    close: () =>
      (closing ??= (async () => {
        for (const s of scraped) s.close();
        await http.close();
        await manager.closeAll();
        log.info('bridge closed; every target detached');
      })()),
  };
}
