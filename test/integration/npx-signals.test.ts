// The README's launch command, `npx mstat-bridge`, under the signals a supervisor, a container
// runtime or a terminal sends (issue 16). npm exits at once on SIGTERM and its `sh -c` child
// dies with it: the bridge must notice its launcher is gone, detach every target (TracerPid 0,
// not stopped) and close its port within 3 s, never linger orphaned.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { freePort, portOpen } from '../../scripts/kit/ports.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { until } from '../../scripts/kit/time.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Processes of the bridge listening on `port` (node, not the npm or sh above it). */
function bridgeProcesses(port: number): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('node') && cmd.some((a) => a.endsWith('mstat-bridge') || a.endsWith('mstat-bridge.js')) && cmd.includes(`127.0.0.1:${port}`)) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

// To npx alone: what `kill`, a supervisor or a container runtime sends. To its process group:
// a terminal (Ctrl-C, hangup). SIGINT to npm alone is not in the list: npm hands it to its
// `sh -c`, which waits for the bridge without passing it on, and nothing at all stops (the
// README points services at the installed bin, which gets every signal itself).
const CASES = [
  { signal: 'SIGTERM', group: false },
  { signal: 'SIGHUP', group: false },
  { signal: 'SIGTERM', group: true },
  { signal: 'SIGINT', group: true },
  { signal: 'SIGHUP', group: true },
] as const;

for (const { signal, group } of CASES) {
  t.test(`npx mstat-bridge, ${signal} to ${group ? 'its process group' : 'npx'}: targets detached and the port closed within 3 s`, async (t) => {
    const go = await GoTarget.start(fixture(), ['-heartbeat', '0']);
    t.teardown(() => go.stop());
    const port = await freePort();
    const env = { ...process.env, NODE_OPTIONS: '' };
    const npx = spawn('npx', ['--no-install', 'mstat-bridge', '--listen', `127.0.0.1:${port}`, '--no-auth', '--log-level', 'warn'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    npx.stdout.on('data', (d) => (output += String(d)));
    npx.stderr.on('data', (d) => (output += String(d)));
    t.teardown(() => {
      for (const pid of bridgeProcesses(port)) process.kill(pid, 'SIGKILL');
      npx.kill('SIGKILL');
    });
    t.ok(await until(() => portOpen(port), 30_000, 100), `the bridge listens on ${port}`);
    const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws`);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    c.send({ type: 'subscribe', id: 's', target: { pid: go.pid }, intervalMs: 100, mode: 'live' });
    await c.next('sample', () => true, 60_000);
    t.not(readProcStatus(go.pid)?.tracerPid ?? 0, 0, 'the target is traced while subscribed');
    const bridges = bridgeProcesses(port);
    t.ok(bridges.length >= 1, `the bridge process: ${bridges.join(',')}`);

    const t0 = performance.now();
    if (group) process.kill(-npx.pid!, signal);
    else npx.kill(signal);
    const closed = await until(async () => !(await portOpen(port)) && bridgeProcesses(port).length === 0, 3000, 50);
    const ms = performance.now() - t0;
    t.ok(closed, `port closed and no bridge process left ${ms.toFixed(0)} ms after ${signal} (${bridgeProcesses(port).join(',') || 'none'}) ${closed ? '' : output.slice(-500)}`);
    const s = readProcStatus(go.pid);
    t.equal(s?.tracerPid, 0, 'the target is untraced');
    t.not(s?.state, 'T', 'and not stopped');
    t.equal((await go.command('memstats')).event, 'memstats', 'and answers (runs on)');
  });
}
