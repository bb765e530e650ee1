// Headless Debian Chromium through playwright-core, for end-to-end tests of the dashboard.
// Every page records console errors, page exceptions and CSP violations, so a test can
// assert that a page ran cleanly.
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MSTAT_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // root in a container: no sandbox; small /dev/shm in containers
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface WatchedPage {
  page: Page;
  /** console errors, uncaught exceptions, CSP violations, failed requests */
  problems: string[];
}

/** A new page (own context: no shared storage) that records what went wrong. */
export async function openPage(browser: Browser, t: { teardown(fn: () => unknown): void }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A WebSocket refused while the bridge is down is the scenario, not a problem.
    if (!r.url().startsWith('ws')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  // Before any page script: CSP violations are reported to the page, not always to the console.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  return { page, problems };
}

/** The dashboard's `window.__mstatDashboard` hook (see clients/web/main.ts), as plain JSON. */
export interface DashboardState {
  state: string;
  pid: number | null;
  samples: number;
  lastSeq: number;
  targets: number;
  errors: string[];
  points: Record<string, number>;
  /** each chart's newest point, [x, ...ys] */
  last: Record<string, Array<number | null>>;
}

/**
 * Reads the hook. (Through CDP: the page's CSP forbids eval, so playwright's string
 * predicates such as waitForFunction('…') cannot run there.)
 */
export function dashboardState(page: Page): Promise<DashboardState | undefined> {
  return page.evaluate(() => {
    const h = (globalThis as unknown as { __mstatDashboard?: DashboardState }).__mstatDashboard;
    // points and last are getters: spread copies their values
    return h ? { ...h, points: h.points, last: h.last } : undefined;
  });
}
