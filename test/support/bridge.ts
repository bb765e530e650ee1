// A real bridge for tests: on 127.0.0.1:0 in this process, or `bridge/main.ts` as a subprocess;
// and its /healthz. The client that talks to it: scripts/kit/ws-client.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { startBridge, type Bridge } from '../../bridge/bridge.ts';
import { ConfigSchema } from '../../bridge/config-schema.ts';
import { silentLogger } from '../../bridge/log.ts';

export async function testBridge(t: { teardown(fn: () => unknown): void }, over: Partial<z.input<typeof ConfigSchema>> = {}): Promise<Bridge> {
  // Tests that are not about authentication run the explicit opt-out (bridge-auth.test.ts is).
  const auth = over.token === undefined && over.tokenFile === undefined && over.noAuth === undefined ? { noAuth: true } : {};
  const cfg = ConfigSchema.parse({ host: '127.0.0.1', port: 0, lingerMs: 200, ...auth, ...over });
  const bridge = await startBridge(Object.freeze(cfg), process.env.MSTAT_TEST_LOG ? pino({ level: 'debug' }, pino.destination(process.env.MSTAT_TEST_LOG)) : silentLogger(), { cacheDir: mkdtempSync(join(tmpdir(), 'mstat-cache-')) });
  t.teardown(() => bridge.close());
  return bridge;
}

/**
 * `bridge/main.ts` as a real subprocess (optionally behind a command prefix such as setpriv):
 * resolves with the child and the port it logged in its `bridge listening` line.
 */
export async function spawnBridgeProcess(
  t: { teardown(fn: () => unknown): void },
  opts: { prefix?: string[]; env?: NodeJS.ProcessEnv; cwd?: string; args?: string[] } = {},
): Promise<{ child: ChildProcess; port: number; logs: string[] }> {
  const main = join(import.meta.dirname, '..', '..', 'bridge', 'main.ts');
  // --no-auth unless the test is about the token (it passes one, or a token file).
  const args = opts.args ?? [];
  const authGiven = args.some((a) => /^--(token|token-file|no-auth)\b/.test(a)) || Object.keys(opts.env ?? {}).some((k) => /^MSTAT_(TOKEN|TOKEN_FILE|NO_AUTH)$/.test(k));
  const argv = [...(opts.prefix ?? []), process.execPath, '--import', 'tsx', main, '--listen', '127.0.0.1:0', '--log-level', 'info', ...(authGiven ? [] : ['--no-auth']), ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const logs: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not listen within 20 s; stderr: ${err.slice(-2000)}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      logs.push(l);
      const m = /"msg":"bridge listening"/.test(l) ? /"port":(\d+)/.exec(l) : null;
      if (!m) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    });
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`bridge exited (${c}); stderr: ${err.slice(-2000)}`)));
  });
  return { child, port, logs };
}

/** The bridge's /healthz answer. */
export async function healthz(port: number): Promise<{ ok: boolean; targets: number; subscribers: number; connections: number }> {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  return (await r.json()) as { ok: boolean; targets: number; subscribers: number; connections: number };
}
