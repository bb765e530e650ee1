// The container image (scripts/deploy/container/Dockerfile) without a Docker engine (there is
// none here): its exact ENTRYPOINT, CMD and ENV run the bin of the tarball installed the way
// the Dockerfile installs it (`npm install -g`, into a temporary prefix that stands for
// /usr/local), with the token given as the README's run line gives it (-e MSTAT_TOKEN), in the
// two PID-namespace shapes a container can have:
//  - its own PID namespace (unshare --pid --fork --mount-proc): node is PID 1, where a signal
//    without a handler is ignored and orphans would be left to it to reap. A process in there
//    cannot see the host's, so the Go target is started inside the namespace too (nsenter),
//    as a pod's shared namespace or `--pid=container:…` would have it. When PID 1 exits the
//    kernel kills the namespace, target included, so here the check is the exit itself (0
//    within 3 s, port closed), no zombie at any time, and nothing of the namespace left.
//  - `--pid=host`, the documented run line: node is not PID 1; the target is a host process of
//    another user, the bounding set Docker's default capabilities plus SYS_PTRACE. Here the
//    target must be left untraced and running after each signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { WsClient } from '../../scripts/kit/ws-client.ts';
import { assertCleanStop } from '../support/clean-stop.ts';
import { createTempUser } from '../../scripts/kit/temp-user.ts';
import { parseDockerfile } from '../support/dockerfile.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { globalInstall, installTarball, packTarball } from '../support/package-install.ts';
import { freePort, portOpen } from '../../scripts/kit/ports.ts';
import { innerPid } from '../../scripts/kit/proc.ts';
import { readProcStatus } from '../../bridge/access/proc/proc-status.ts';
import { pidNamespaceMembers, pidNamespaceOf } from '../../scripts/kit/process-tree.ts';
import { until } from '../../scripts/kit/time.ts';

const DOCKERFILE = join(import.meta.dirname, '..', '..', 'scripts', 'deploy', 'container', 'Dockerfile');
const image = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
/** The prefix `npm install -g` uses in the node image. */
const IMAGE_PREFIX = '/usr/local';
/** Capabilities Docker leaves a container by default (moby's oci/caps/defaults.go). */
const DOCKER_DEFAULT_CAPS = ['chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid', 'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write'];
const TOKEN = 'container-test-token-0123456789';

t.setTimeout(600_000);
const work = mkdtempSync(join(tmpdir(), 'mstat-container-'));
chmodSync(work, 0o755);
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const prefix = join(work, 'prefix');

t.before(async () => {
  const { tarball } = await packTarball(work);
  mkdirSync(prefix);
  await installTarball(tarball, prefix, { global: true });
});

t.test('the Dockerfile: exec-form node entrypoint on the installed bin, gdb installed, a token-guarded 0.0.0.0 listen', async (t) => {
  t.equal(image.entrypoint[0], 'node', 'ENTRYPOINT runs node itself (exec form): node gets the signals');
  t.equal(image.entrypoint[1], `${globalInstall(IMAGE_PREFIX).pkg}/scripts/bin/mstat-bridge.js`, 'on the bin npm install -g put there');
  t.match(readFileSync(DOCKERFILE, 'utf8'), /apt-get install [^\n]*\bgdb\b/, 'gdb is installed in the image');
  t.match(readFileSync(DOCKERFILE, 'utf8'), /apt-get install [^\n]*\bprocps\b/, 'procps too (pgrep, for the supervisor)');
  t.match(image.env.MSTAT_LISTEN ?? '', /^0\.0\.0\.0:\d+$/, 'listens on every address of the container (reachable through -p)');
});

/** The image's environment (node image PATH and HOME, its ENV with the listen port and the state paths moved here) plus `-e`. */
function containerEnv(root: string, port: number, extra: Record<string, string>): string[] {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: root };
  for (const [k, v] of Object.entries(image.env)) {
    // Paths of the image's own file system live under `root` here; only the port is changed.
    env[k] = k === 'MSTAT_LISTEN' ? v.replace(/:\d+$/, `:${port}`) : v.startsWith('/') ? join(root, v) : v;
  }
  return Object.entries({ ...env, ...extra }).map(([k, v]) => `${k}=${v}`);
}

/** ENTRYPOINT + CMD (or the run line's arguments, which replace CMD) with the image prefix replaced by ours. */
function command(args: string[]): string[] {
  return [...image.entrypoint, ...(args.length > 0 ? args : image.cmd)].map((w) => w.replace(IMAGE_PREFIX, prefix));
}

/** `env -i`: exactly the container's environment, without what tap's process-info hook adds. */
function launch(env: string[], argv: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn('env', ['-i', ...env, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  return { child, output: () => output };
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  t.test(`own PID namespace, node as PID 1, ${signal}: exits 0 within 3 s, no zombie at any time`, async (t) => {
    const port = await freePort();
    const root = mkdtempSync(join(work, 'root-'));
    const { child, output } = launch(containerEnv(root, port, { MSTAT_TOKEN: TOKEN }), ['unshare', '--pid', '--fork', '--mount-proc', ...command([])]);
    t.teardown(() => child.kill('SIGKILL'));
    const up = await until(() => child.exitCode === null && portOpen(port), 30_000, 100);
    t.ok(up, `listening on 0.0.0.0:${port}${up ? '' : ` ${output()}`}`);
    const node = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
    t.equal(innerPid(node), 1, 'node is PID 1 of its namespace');
    const ns = pidNamespaceOf(node);

    // A Go program in the same namespace (its own namespace pid is what the bridge sees).
    const go = await GoTarget.start(fixture(), ['-heartbeat', '0'], {}, { prefix: ['nsenter', '--target', String(node), '--pid', '--mount', '--'] });
    t.teardown(() => go.stop());
    const nsPid = Number(go.ready.pid);
    const c = new WsClient(`ws://127.0.0.1:${port}/v1/ws?token=${TOKEN}`);
    t.teardown(() => c.ws.terminate());
    await c.opened;
    // Attach, detach (one gdb comes and goes), attach again: what a dashboard does over a day.
    for (const id of ['a', 'b']) {
      c.send({ type: 'subscribe', id, target: { pid: nsPid }, intervalMs: 100, mode: 'live' });
      await c.next('sample', (m) => m.subscription === id, 60_000);
      if (id === 'a') {
        c.send({ type: 'unsubscribe', id });
        // Detached after --linger (2 s): no gdb left in the namespace.
        const gone = await until(() => pidNamespaceMembers(ns).every((p) => !/^(gdb|sh|setpriv)$/.test(comm(p.pid))), 30_000, 100);
        t.ok(gone, 'gdb and its supervisor are gone after the last subscriber left');
      }
    }
    const zombies = (): number[] => pidNamespaceMembers(ns).filter((p) => p.state === 'Z').map((p) => p.pid);
    t.same(zombies(), [], 'no zombie in the namespace while it runs');

    await assertCleanStop(t, child, { signal, port, signalPid: node, output });
    t.same(pidNamespaceMembers(ns), [], 'nothing of the namespace is left (no zombie either)');
  });

  t.test(`--pid=host, ${signal}: the host target is detached and the port closed within 3 s`, async (t) => {
    const user = createTempUser();
    t.teardown(() => user.remove());
    const go = await GoTarget.start(fixture(), ['-heartbeat', '0'], {}, { asUser: user });
    t.teardown(() => go.stop());
    const port = await freePort();
    const root = mkdtempSync(join(work, 'root-'));
    const caps = ['-all', ...DOCKER_DEFAULT_CAPS.map((c) => `+${c}`), '+sys_ptrace'].join(',');
    // `docker run … mstat-bridge --scrape-attach PID`: the arguments after the image replace CMD.
    const argv = ['setpriv', `--bounding-set=${caps}`, '--', ...command(['--scrape-attach', String(go.pid)])];
    const { child, output } = launch(containerEnv(root, port, { MSTAT_TOKEN: TOKEN }), argv);
    t.teardown(() => child.kill('SIGKILL'));
    const traced = await until(() => child.exitCode !== null || (readProcStatus(go.pid)?.tracerPid ?? 0) !== 0, 60_000, 50);
    t.ok(traced && child.exitCode === null, `the host target is attached (--scrape-attach) ${child.exitCode === null ? '' : output()}`);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.equal(metrics.status, 200, '/metrics with the token');
    t.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401, 'and refused without it');
    await assertCleanStop(t, child, { signal, port, targetPid: go.pid, output });
    t.equal((await go.command('memstats')).event, 'memstats', 'and answers');
  });
}

t.test('own PID namespace: a SIGTERM while node (PID 1) is still loading stops it too (docker stop right after start)', async (t) => {
  const port = await freePort();
  const root = mkdtempSync(join(work, 'root-'));
  const { child, output } = launch(containerEnv(root, port, { MSTAT_TOKEN: TOKEN }), ['unshare', '--pid', '--fork', '--mount-proc', ...command([])]);
  t.teardown(() => child.kill('SIGKILL'));
  // As soon as PID 1 runs the bin's first lines, before it listens. Node catches SIGTERM itself
  // from the start (to reset the terminal, then it re-raises: ignored by PID 1), but not
  // SIGHUP: a caught SIGHUP (bit 0 of SigCgt) is the bin's handlers.
  let node = 0;
  const catching = await until(() => {
    node = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim() || 0);
    const caught = node > 0 ? /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${node}/status`, 'utf8'))?.[1] : undefined;
    return caught !== undefined && (BigInt(`0x${caught}`) & 1n) !== 0n;
  }, 10_000, 2);
  t.ok(catching, 'node (PID 1) has the bridge\'s signal handlers');
  t.notOk(await portOpen(port), 'and does not listen yet');
  process.kill(node, 'SIGTERM');
  const exited = await until(() => child.exitCode !== null, 10_000, 20);
  t.ok(exited, `exited after the early SIGTERM ${exited ? '' : output()}`);
  t.equal(child.exitCode, 0, 'with status 0 (a clean stop, not a kill)');
  t.notOk(await portOpen(port), 'and not listening');
});

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
