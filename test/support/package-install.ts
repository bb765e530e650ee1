// The package as users get it: `npm pack` of this checkout, and installs of that tarball.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Without tap's loaders (NODE_OPTIONS): the installed package must stand on its own. */
export const PACKAGE_ENV: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

/** `npm pack` into `dest`: the tarball's path and the files it holds. */
export async function packTarball(dest: string): Promise<{ tarball: string; files: string[] }> {
  // --ignore-scripts: setup has built dist/; prepack's rebuild would swap it under other tests.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: ROOT, env: PACKAGE_ENV, maxBuffer: 64 << 20 });
  const info = (JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path) };
}

/** `npm install` of the tarball into `cwd` (a project directory), or with `global`, into the prefix `cwd`. */
export async function installTarball(tarball: string, cwd: string, opts: { global?: boolean } = {}): Promise<void> {
  const where = opts.global ? ['--global', '--prefix', cwd] : [];
  await run('npm', ['install', ...where, '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd, env: PACKAGE_ENV, maxBuffer: 64 << 20, timeout: 300_000 });
}

/** Where `npm install --global --prefix PREFIX` puts the bin and the package. */
export function globalInstall(prefix: string): { bin: string; pkg: string } {
  return { bin: join(prefix, 'bin', 'mstat-bridge'), pkg: join(prefix, 'lib', 'node_modules', 'mstat-bridge') };
}
