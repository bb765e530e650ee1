// Everything we can check about a local target before starting gdb, so that bad input
// gets one clear line and the target is never touched.
import { open, readFile, readlink } from 'node:fs/promises';
import { goVersionSupported, MIN_GO_MINOR, parseGoVersion } from '../go/binary/go-version.ts';
import { readElfInfo } from '../go/binary/go-binary.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import type { Preflight } from '../go/target-access.ts';
import { parseProcStatus } from './proc/proc-status.ts';

export const PTRACE_HINT =
  'run as root, or as the target\'s user with CAP_SYS_PTRACE, or allow it with `sysctl kernel.yama.ptrace_scope=0` (containers: add --cap-add=SYS_PTRACE)';

/** Out of file descriptors or memory is the bridge's trouble, not a missing process. */
function procError(err: unknown, pid: number, otherwise: string): GoError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM' || code === 'EAGAIN') {
    return new GoError(GoErrorCode.RESOURCES, `cannot look at process ${pid}: the bridge is out of ${code === 'ENOMEM' ? 'memory' : 'file descriptors'} (${code}); try again later, or raise its limit (ulimit -n, LimitNOFILE=)`, { cause: err });
  }
  if (code === 'ENOENT' || code === 'ESRCH') return new GoError(GoErrorCode.NO_SUCH_PROCESS, otherwise, { cause: err });
  return new GoError(GoErrorCode.UNREADABLE, otherwise, { cause: err });
}

export async function preflightLocal(pid: number, exe?: string): Promise<Preflight> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `not a process id: ${pid}`);
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw procError(err, pid, `no process with PID ${pid} (has it exited? check the PID with ps)`);
  }
  const st = parseProcStatus(status);
  if (st.state === 'Z') throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pid} is a zombie (it has exited)`);
  const tracer = st.tracerPid;
  if (tracer !== 0) {
    const comm = await readFile(`/proc/${tracer}/comm`, 'utf8').then((c) => c.trim(), () => 'unknown');
    throw new GoError(GoErrorCode.TARGET_BUSY, `process ${pid} is already traced by process ${tracer} (${comm}), another debugger or tracer; detach it (or wait for it to finish) and try again`);
  }
  const procExe = `/proc/${pid}/exe`;
  let exePath = procExe;
  try {
    exePath = await readlink(procExe);
    // open(), not access(): access() drops a non-root caller's capabilities (CAP_SYS_PTRACE).
    await (await open(procExe, 'r')).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new GoError(GoErrorCode.PTRACE_DENIED, `not permitted to inspect process ${pid} (cannot read ${procExe}); ${PTRACE_HINT}`, { cause: err });
    }
    if (code === 'ENOENT') throw new GoError(GoErrorCode.NO_SUCH_PROCESS, `process ${pid} has no executable (a kernel thread?)`);
    throw procError(err, pid, `cannot read ${procExe}: ${(err as Error).message}`);
  }

  // gdb reads memory through /proc/PID/mem, the target user's file (0600): CAP_SYS_PTRACE lets
  // another user attach, but not open it without CAP_DAC_OVERRIDE. Found here, it is one clear
  // line; found by gdb, every read fails while the target is attached.
  try {
    await (await open(`/proc/${pid}/mem`, 'r')).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      const owner = st.uids[1] ?? -1;
      throw new GoError(
        GoErrorCode.PTRACE_DENIED,
        `not permitted to read the memory of process ${pid} (cannot open /proc/${pid}/mem: ${code}; it runs as uid ${owner}, the bridge as uid ${process.getuid?.() ?? '?'}): CAP_SYS_PTRACE alone does not open another user's memory; run the bridge as the target's user or as root, or add CAP_DAC_OVERRIDE`,
        { cause: err },
      );
    }
    throw procError(err, pid, `cannot open /proc/${pid}/mem: ${(err as Error).message}`);
  }

  const procElf = await readElfInfo(procExe);
  if (!procElf.goBuildId && !procElf.goVersion) {
    throw new GoError(GoErrorCode.NOT_GO, `process ${pid} (${exePath}) is not a Go program (no Go build ID or build info)`);
  }
  const version = procElf.goVersion ? parseGoVersion(procElf.goVersion) : undefined;
  if (version && !goVersionSupported(version)) {
    throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `process ${pid} runs ${procElf.goVersion}; mstat-bridge supports Go 1.${MIN_GO_MINOR} and newer; rebuild it with a newer toolchain`);
  }

  let symbolFile = procExe;
  let elf = procElf;
  if (exe !== undefined) {
    elf = await readElfInfo(exe);
    if (!elf.goBuildId || elf.goBuildId !== procElf.goBuildId) {
      throw new GoError(
        GoErrorCode.BUILD_ID_MISMATCH,
        `the executable given for process ${pid} (--exe / "exe" / PID=EXE: ${exe}) is not the build it runs (Go build ID ${elf.goBuildId ?? 'none'} vs ${procElf.goBuildId ?? 'none'}); give an unstripped copy of the same build`,
      );
    }
    symbolFile = exe;
  }
  const how = `rebuild without -ldflags='-s -w' / '-w', or give an unstripped copy of the same build (mstat --exe FILE; "exe" in a bridge subscription's target; mstat-bridge --scrape-attach PID=FILE)`;
  const built = procElf.goVersion ? ` (${procElf.goVersion})` : '';
  if (!elf.hasSymtab) throw new GoError(GoErrorCode.NO_SYMBOLS, `${exe ?? exePath}${built} has no symbol table (built with -ldflags='-s -w' or stripped); ${how}`);
  if (!elf.hasDwarf) throw new GoError(GoErrorCode.NO_DWARF, `${exe ?? exePath}${built} has no DWARF debug info (built with -ldflags=-w); ${how}`);
  const v = version ?? (elf.goVersion ? parseGoVersion(elf.goVersion) : undefined);
  if (!v) throw new GoError(GoErrorCode.NOT_GO, `cannot tell the Go version of ${exePath}`);
  return { pid, symbolFile, exePath, buildId: procElf.goBuildId ?? elf.goBuildId ?? '', version: v, machineName: elf.machineName, pie: elf.type === 'dyn' };
}
