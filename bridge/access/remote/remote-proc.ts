// The process collector's /proc files of a remote target, in one ssh round trip: fixed
// script text plus the pid (remote-sh.ts), parsed here into the same ProcFiles the local
// reader makes.
import type { ProcFiles } from '../proc/process-stats.ts';
import { bootTimeOf } from '../proc/process-stats.ts';
import { int, shCommand } from './remote-sh.ts';
import { runSsh, type SshOptions } from './ssh.ts';

/** Prints each file after a `@@name` line; `@@gone` when the process does not exist. */
export function procFilesScript(pid: number): string {
  const p = int(pid);
  return shCommand(`
d=/proc/${p}
[ -r $d/stat ] || { echo @@gone; exit 0; }
echo @@stat; cat $d/stat
echo @@limits; cat $d/limits
echo @@netstat; cat $d/net/netstat 2>/dev/null
echo @@fds; if ls $d/fd >/dev/null 2>&1; then ls $d/fd | wc -l; else echo unreadable; fi
echo @@procstat; grep "^btime" /proc/stat
echo @@pagesize; getconf PAGESIZE
echo @@end
`);
}

/** The script's output as ProcFiles; undefined when the process is gone or a part is missing. */
export function parseProcFilesOutput(out: string): ProcFiles | undefined {
  if (!/^@@end$/m.test(out) || /^@@gone$/m.test(out)) return undefined;
  const parts = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      if (name) parts.set(name, lines.join('\n'));
      name = m[1];
      lines = [];
    } else lines.push(line);
  }
  const fds = parts.get('fds')?.trim();
  const stat = parts.get('stat');
  const limits = parts.get('limits');
  const pageSize = Number(parts.get('pagesize')?.trim());
  if (!stat || !limits || !fds || !/^\d+$/.test(fds) || !(pageSize > 0)) return undefined;
  return { stat, limits, netstat: parts.get('netstat') || undefined, openFds: Number(fds), bootTime: bootTimeOf(parts.get('procstat') ?? ''), pageSize };
}

export async function readRemoteProcFiles(ssh: SshOptions, pid: number): Promise<ProcFiles | undefined> {
  const r = await runSsh(ssh, procFilesScript(pid), { timeoutMs: 20_000 });
  return parseProcFilesOutput(r.stdout);
}
