// `list-targets` on a remote host: one ssh round trip that walks /proc there and, once per
// distinct executable that looks like Go, sends its first 8 KiB (build-ID note, machine),
// its build info (version) and its section names (symbols, DWARF). Like the local listing
// it never touches a process: no ptrace, no signal. Processes whose executable our ssh
// user cannot read (another user's, without root) are not listed.
import type { TargetListing } from '../../../protocol/target.ts';
import { archFor } from '../../go/decode/arch.ts';
import { goVersionProblem } from '../../go/binary/go-version.ts';
import { remoteExeFacts, type RemoteExeFacts } from './exe-facts.ts';
import { checkTools, parseSelf, parseStatus, remotePtraceDenial, selfScript } from './remote-preflight.ts';
import { bytesOf, exeFunctions, sections, shCommand } from './remote-sh.ts';
import { runSsh, type SshOptions } from './ssh.ts';


function listScript(): string {
  // `@@proc PID` + status lines + `exe PATH` per process; `@@x PATH` + facts once per
  // executable whose first 8 KiB mention "Go" (the Go build-ID note's name is there).
  return `${exeFunctions()}${selfScript()}
seen=/
for d in /proc/[0-9]*; do
  e=$(readlink "$d/exe" 2>/dev/null) || continue
  echo "@@proc \${d#/proc/}"
  while IFS= read -r l; do case $l in State:*|TracerPid:*|Uid:*|Gid:*) echo "$l" ;; esac; done 2>/dev/null < "$d/status"
  echo "exe $e"
  case "$seen" in *"/$e/"*) continue ;; esac
  seen="$seen$e/"
  head -c 8192 "$d/exe" 2>/dev/null | grep -q Go || continue
  echo "@@x $e"
  echo "@@head"; head -c 8192 "$d/exe" | base64
  go_buildinfo "$d/exe"
  section_names "$d/exe"
done
echo "@@end"
`;
}

interface ProcEntry {
  pid: number;
  exe: string;
  status: string[];
}

/** Splits the output into processes and per-executable facts. */
function parseListing(stdout: string): { procs: ProcEntry[]; exes: Map<string, RemoteExeFacts>; head: string } {
  const procs: ProcEntry[] = [];
  const exes = new Map<string, RemoteExeFacts>();
  const blocks = stdout.split(/^(?=@@(?:proc|x) )/m);
  const head = blocks[0] ?? '';
  for (const b of blocks.slice(1)) {
    const nl = b.indexOf('\n');
    const first = b.slice(0, nl < 0 ? b.length : nl);
    const body = nl < 0 ? '' : b.slice(nl + 1);
    if (first.startsWith('@@proc ')) {
      const lines = body.split('\n');
      const exe = (lines.find((l) => l.startsWith('exe ')) ?? 'exe ').slice(4);
      procs.push({ pid: Number(first.slice(7)), exe, status: lines.filter((l) => !l.startsWith('exe ')) });
    } else {
      const path = first.slice(4);
      const sec = new Map<string, string[]>();
      let cur: string[] | undefined;
      for (const l of body.split('\n')) {
        const m = /^@@(\S+)$/.exec(l);
        if (m) sec.set(m[1]!, (cur = []));
        else cur?.push(l);
      }
      exes.set(path, remoteExeFacts(bytesOf(sec.get('head')), bytesOf(sec.get('buildinfo')), sec.has('shstrtab') ? bytesOf(sec.get('shstrtab')) : undefined));
    }
  }
  return { procs, exes, head };
}


/**
 * The Go processes on the host `ssh` reaches, PID order, each attachable or why not.
 * `attached` is false; `own` are PIDs this bridge reads there (their tracer is ours).
 * Throws SshError when the host cannot be reached.
 */
export async function listRemoteGoProcesses(ssh: SshOptions, own: ReadonlySet<number> = new Set()): Promise<TargetListing[]> {
  const r = await runSsh(ssh, shCommand(listScript()), { timeoutMs: 60_000 });
  const { procs, exes, head } = parseListing(r.stdout);
  const selfSec = sections(head);
  const me = parseSelf(selfSec);
  let toolProblem: string | undefined;
  try {
    checkTools(selfSec, ssh.destination);
  } catch (err) {
    toolProblem = (err as Error).message.split(';')[0];
  }
  const out: TargetListing[] = [];
  for (const p of procs) {
    const facts = exes.get(p.exe);
    if (!facts || (facts.goBuildId === undefined && facts.goVersion === undefined)) continue;
    const st = parseStatus(p.status);
    const reason = ((): string | undefined => {
      if (st.state === 'Z' || st.state === 'X') return 'exited (zombie)';
      const vr = goVersionProblem(facts.goVersion);
      if (vr) return vr;
      if (!archFor(facts.machineName)) return `unsupported architecture ${facts.machineName}`;
      if (facts.hasSymtab === false) return 'stripped (no symbol table); needs an unstripped copy (exe)';
      if (facts.hasDwarf === false) return 'no DWARF (-ldflags=-w); needs an unstripped copy (exe)';
      if (st.tracerPid !== 0 && !own.has(p.pid)) return `already traced by PID ${st.tracerPid}`;
      const denial = remotePtraceDenial(me, st);
      if (denial) return `permission denied (${denial})`;
      return toolProblem;
    })();
    out.push({
      pid: p.pid,
      exe: p.exe,
      ...(facts.goVersion === undefined ? {} : { goVersion: facts.goVersion }),
      attachable: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      attached: false,
    });
  }
  return out.sort((a, b) => a.pid - b.pid);
}
