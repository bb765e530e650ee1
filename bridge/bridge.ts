// Composition root: config + logger in, a started bridge out. No MI or protocol logic here.
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';
import type { Config } from './config.ts';
import { createHttpServer } from './server/http.ts';
import { TargetManager } from './targets/manager.ts';
import { ScrapeTarget } from './targets/scrape.ts';

export interface Bridge {
  /** The bound address (port 0 gets a free port). */
  address: { host: string; port: number };
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
    access: { sshConfig: cfg.sshConfig },
  });
  const http = createHttpServer(cfg, manager, log.child({ component: 'server' }));
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(cfg.port, cfg.host, () => resolve());
  });
  const a = http.server.address() as AddressInfo;
  log.info({ host: a.address, port: a.port, token: cfg.token !== undefined }, 'bridge listening');

  // Targets kept attached for /metrics without a WebSocket client.
  const scraped = cfg.scrapeAttach.map(
    (t) => new ScrapeTarget(manager, t.exe === undefined ? { pid: t.pid } : { pid: t.pid, exe: t.exe }, cfg.scrapeIntervalMs, log.child({ component: 'scrape' })),
  );
  for (const s of scraped) s.start();

  let closing: Promise<void> | undefined;
  return {
    address: { host: a.address, port: a.port },
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
