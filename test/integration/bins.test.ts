// The package bins work the way the README uses them: through npx, from the repo root.
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';

const ROOT = join(import.meta.dirname, '..', '..');

for (const [bin, usage, more] of [
  ['mstat', /^usage: mstat --pid PID /, /\nNAME\n\s+mstat - /],
  ['mstat-bridge', /^usage: mstat-bridge \[options\]/, /--listen|--port|--help/],
] as const) {
  t.test(`npx ${bin} --help`, async (t) => {
    // npx takes a bin of the project itself from its package.json "bin" (npm >= 9) without the
    // registry; offline, a broken bin entry fails here instead of fetching a namesake package.
    const r = await execa('npx', [bin, '--help'], { cwd: ROOT, reject: false, timeout: 60_000, stdin: 'ignore', env: { npm_config_offline: 'true' } });
    t.equal(r.exitCode, 0, `exit 0${r.exitCode === 0 ? '' : `: ${r.stderr.slice(0, 500)}`}`);
    t.match(r.stdout, usage, 'prints its usage');
    t.match(r.stdout, more, 'and the help text');
  });
}
