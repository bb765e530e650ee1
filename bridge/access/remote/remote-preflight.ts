// Everything checked about a remote target before gdb starts, in one ssh round trip: does
// the PID exist, what runs there (the first 64 KiB of its executable → Go build ID, machine,
// PIE; its build info → Go version; its section names → symbols, DWARF), may our ssh user
// ptrace it, and is gdbserver installed. Bad input fails here with one line; nothing is
// touched on the remote host.
import { resolve } from 'node:path';
import { goVersionSupported, MIN_GO_MINOR, parseGoVersion, type GoVersion } from '../../go/binary/go-version.ts';
import { readElfInfo } from '../../go/binary/go-binary.ts';
import { GoError, GoErrorCode } from '../../go/errors.ts';
import type { Preflight } from '../../go/target-access.ts';
import { parseProcStatus, type ProcStatus } from '../proc/proc-status.ts';
import { SshError, SshErrorCode } from './errors.ts';
import { remoteExeFacts, type RemoteExeFacts } from './exe-facts.ts';
import { bytesOf, exeFunctions, int, sections, shCommand } from './remote-sh.ts';
import { parseDestination, runSsh, type SshOptions } from './ssh.ts';

/** Tools the remote scripts need besides gdbserver (coreutils, grep). */
export const REMOTE_TOOLS = ['timeout', 'dd', 'od', 'base64', 'tail', 'head', 'grep', 'cut', 'tr'];

/** Who the ssh session is on the remote host and what it may ptrace. */
export interface RemoteSelf {
  uid: number;
  gid: number;
  capPtrace: boolean;
  /** kernel.yama.ptrace_scope; undefined without Yama */
  yama: number | undefined;
}

const CAP_SYS_PTRACE = 19n;

/** The script's common header: who we are there, and which tools are missing. */
export function selfScript(): string {
  return `
echo "@@uid $(id -u)"
echo "@@gid $(id -g)"
echo "@@capeff $(grep "^CapEff:" /proc/self/status | cut -f2)"
echo "@@scope $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null)"
echo "@@gdbserver $(command -v gdbserver)"
echo "@@missing"
for c in ${REMOTE_TOOLS.join(' ')}; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done
`;
}

export function parseSelf(sec: Map<string, string[]>): RemoteSelf {
  const one = (k: string): string => (sec.get(k)?.[0] ?? '').trim();
  const uid = Number(one('uid'));
  if (one('uid') === '' || !Number.isInteger(uid)) throw new SshError(SshErrorCode.REMOTE, `the remote shell's output was not understood (no uid); is the login shell a POSIX-like shell?`);
  const cap = one('capeff');
  const scope = one('scope');
  return {
    uid,
    gid: Number(one('gid')),
    capPtrace: /^[0-9a-f]+$/i.test(cap) ? ((BigInt(`0x${cap}`) >> CAP_SYS_PTRACE) & 1n) === 1n : uid === 0,
    yama: /^\d+$/.test(scope) ? Number(scope) : undefined,
  };
}

/** Throws when the remote host lacks gdbserver or a tool the scripts need. */
export function checkTools(sec: Map<string, string[]>, host: string): void {
  if ((sec.get('gdbserver')?.[0] ?? '').trim() === '') {
    throw new SshError(
      SshErrorCode.GDBSERVER_MISSING,
      `gdbserver is not installed on ${host} (not found on the ssh session's PATH); install it there (Debian/Ubuntu: apt-get install gdbserver; Fedora/RHEL: dnf install gdb-gdbserver)`,
    );
  }
  const missing = (sec.get('missing') ?? []).map((l) => l.trim()).filter((l) => l !== '');
  if (missing.length > 0) throw new SshError(SshErrorCode.REMOTE, `${host} lacks ${missing.join(', ')}, which the bridge's remote scripts need; install coreutils and grep there`);
}

/** The remote /proc/PID/status, as its lines came over ssh. */
export const parseStatus = (lines: string[]): ProcStatus => parseProcStatus(lines.join('\n'));

/** Why the kernel would refuse our ptrace (ptrace_may_access + Yama), in a few words; undefined if allowed. */
export function remotePtraceDenial(me: RemoteSelf, st: ProcStatus): string | undefined {
  if (me.yama === 3) return 'ptrace is disabled there (yama ptrace_scope=3)';
  if (me.capPtrace) return undefined;
  const same = st.uids.length > 0 && st.uids.slice(0, 3).every((u) => u === me.uid) && st.gids.slice(0, 3).every((g) => g === me.gid);
  if (!same) return `it runs as uid ${st.uids[0] ?? '?'} and ssh logs in as uid ${me.uid}`;
  if (me.yama !== undefined && me.yama > 0) return `yama ptrace_scope=${me.yama} there allows only privileged tracers`;
  return undefined;
}

/** The one-line fix for a remote ptrace refusal. */
export const REMOTE_PTRACE_HINT = "connect as root or as the process's user (ssh root@HOST), or give that user CAP_SYS_PTRACE, or allow it there with sysctl kernel.yama.ptrace_scope=0";

function preflightScript(pid: number): string {
  const p = int(pid);
  return `${exeFunctions()}${selfScript()}
echo "@@listening"
for f in /proc/net/tcp /proc/net/tcp6; do
  [ -r "$f" ] || continue
  while read -r sl l r st rest; do [ "$st" != 0A ] || echo "\${l##*:}"; done < "$f"
done
if [ -d /proc/${p} ]; then :; else echo "@@gone"; exit 0; fi
echo "@@status"; cat /proc/${p}/status 2>/dev/null
echo "@@exe $(readlink /proc/${p}/exe 2>/dev/null)"
if head -c 1 /proc/${p}/exe >/dev/null 2>&1; then echo "@@readable yes"; else echo "@@readable no"; fi
echo "@@head"; head -c 65536 /proc/${p}/exe 2>/dev/null | base64
go_buildinfo /proc/${p}/exe
section_names /proc/${p}/exe
echo "@@end"
`;
}

/** Placeholder when the remote build info cannot be read: the runtime reports it after attach. */
const UNKNOWN_VERSION: GoVersion = { raw: 'unknown', major: 0, minor: 0, patch: 0, devel: false, experiments: [] };

export interface RemotePreflight extends Preflight {
  self: RemoteSelf;
  facts: RemoteExeFacts;
  /** TCP ports listening on the remote host (in the ssh session's network namespace) */
  listening: Set<number>;
}

/**
 * The remote twin of preflightLocal: throws GoError (NO_SUCH_PROCESS, NOT_GO, PTRACE_DENIED,
 * UNSUPPORTED_VERSION, BUILD_ID_MISMATCH, NO_SYMBOLS, NO_DWARF) or SshError (the link,
 * GDBSERVER_MISSING). With `exe`, the local copy's Go build ID must match the remote one.
 */
export async function remotePreflight(ssh: SshOptions, host: string, pid: number, exe?: string): Promise<RemotePreflight> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `not a process id: ${pid}`);
  const r = await runSsh(ssh, shCommand(preflightScript(pid)));
  const sec = sections(r.stdout);
  const self = parseSelf(sec);
  const where = `on ${host}`;
  const hint = REMOTE_PTRACE_HINT.replace('HOST', parseDestination(ssh.destination).host);
  if (sec.has('gone')) throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `no process with PID ${pid} ${where} (has it exited? check with: ssh ${ssh.destination} ps -p ${pid})`);
  if (!sec.has('end')) throw new SshError(SshErrorCode.REMOTE, `the remote check of process ${pid} ${where} did not finish (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const st = parseStatus(sec.get('status') ?? []);
  if (st.state === 'Z' || st.state === 'X') throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pid} ${where} is a zombie (it has exited)`);
  const exePath = (sec.get('exe')?.[0] ?? '').trim();
  const denial = remotePtraceDenial(self, st);
  if ((sec.get('readable')?.[0] ?? '').trim() !== 'yes') {
    if (exePath === '' && st.uids.length > 0 && denial === undefined) throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pid} ${where} has no executable (a kernel thread?)`);
    throw new GoError(GoErrorCode.PTRACE_DENIED, `ptrace not permitted on process ${pid} ${where} (${denial ?? `cannot read /proc/${pid}/exe there`}); ${hint}`);
  }
  const facts = remoteExeFacts(bytesOf(sec.get('head')), bytesOf(sec.get('buildinfo')), sec.has('shstrtab') ? bytesOf(sec.get('shstrtab')) : undefined);
  if (facts.goBuildId === undefined && facts.goVersion === undefined) {
    throw new GoError(GoErrorCode.NOT_GO, `process ${pid} ${where} (${exePath || 'unknown executable'}) is not a Go program (no Go build ID or build info)`);
  }
  const version = facts.goVersion === undefined ? undefined : parseGoVersion(facts.goVersion);
  if (version && !goVersionSupported(version)) {
    throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `process ${pid} ${where} runs ${facts.goVersion}; mstat-bridge supports Go 1.${MIN_GO_MINOR} and newer; rebuild it with a newer toolchain`);
  }
  if (denial !== undefined) throw new GoError(GoErrorCode.PTRACE_DENIED, `ptrace not permitted on process ${pid} ${where} (${denial}); ${hint}`);
  if (st.tracerPid !== 0) throw new GoError(GoErrorCode.PTRACE_DENIED, `process ${pid} ${where} is already traced by PID ${st.tracerPid} there (a debugger, or another bridge); detach that first`);
  checkTools(sec, host);

  const how = `pass an unstripped copy of the same build (without -ldflags='-s -w' / '-w') as --exe (exe in the target)`;
  let symbolFile: string | undefined;
  let goVersion = facts.goVersion;
  if (exe !== undefined) {
    symbolFile = resolve(exe);
    const local = await readElfInfo(symbolFile);
    if (!local.goBuildId || local.goBuildId !== facts.goBuildId) {
      throw new GoError(
        GoErrorCode.BUILD_ID_MISMATCH,
        `${exe} is not the build process ${pid} ${where} runs (Go build ID ${local.goBuildId ?? 'none'} vs ${facts.goBuildId ?? 'none'}); pass an unstripped copy of the same build`,
      );
    }
    if (!local.hasSymtab) throw new GoError(GoErrorCode.NO_SYMBOLS, `${exe} has no symbol table (built with -ldflags='-s -w' or stripped); ${how}`);
    if (!local.hasDwarf) throw new GoError(GoErrorCode.NO_DWARF, `${exe} has no DWARF debug info (built with -ldflags=-w); ${how}`);
    goVersion ??= local.goVersion;
  } else {
    // gdb will read the executable over the link: it must carry what the layouts come from.
    if (facts.hasSymtab === false) throw new GoError(GoErrorCode.NO_SYMBOLS, `${host}:${exePath} has no symbol table (built with -ldflags='-s -w' or stripped); ${how}`);
    if (facts.hasDwarf === false) throw new GoError(GoErrorCode.NO_DWARF, `${host}:${exePath} has no DWARF debug info (built with -ldflags=-w); ${how}`);
  }
  return {
    pid,
    ...(symbolFile === undefined ? {} : { symbolFile }),
    exePath: exePath || `/proc/${pid}/exe`,
    buildId: facts.goBuildId ?? '',
    version: (goVersion === undefined ? undefined : parseGoVersion(goVersion)) ?? UNKNOWN_VERSION,
    machineName: facts.machineName,
    pie: facts.type === 'dyn',
    self,
    facts,
    listening: new Set((sec.get('listening') ?? []).filter((l) => /^[0-9A-Fa-f]{1,4}$/.test(l.trim())).map((l) => parseInt(l, 16))),
  };
}
