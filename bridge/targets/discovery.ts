// Which Go processes run on this host, and could the bridge attach to them? Answers the
// `list-targets` request: a /proc scan that never touches a target (no ptrace, no signal),
// only /proc/PID/{status,exe,cmdline} and the executable's ELF headers.
//
// Executables are identified once: the ELF result is cached per (device, inode, mtime) of
// the file, so a listing of an unchanged host re-parses nothing. Every per-process step
// tolerates the process exiting under us; one bad process never fails the listing.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { parseProcStatus, type ProcStatus } from '../access/proc/proc-status.ts';
import type { TargetListing } from '../../protocol/target.ts';
import { archFor } from '../go/decode/arch.ts';
import { goVersionProblem } from '../go/binary/go-version.ts';
import { readElfInfo } from '../go/binary/go-binary.ts';

export interface ListOptions {
  /**
   * The bridge's own PID: never listed. A tracer that descends from it (the bridge's gdb,
   * under its supervisor shell) is the bridge's own attach, not a foreign one: such a
   * target stays attachable (the caller reports it as `attached`).
   */
  self?: number;
  /** More tracer PIDs to count as the bridge's own (gdbs it runs that do not descend from `self`). */
  ownTracers?: Iterable<number>;
}

/** What an executable file tells about itself; cached per file identity. */
interface ExeFacts {
  go: boolean;
  goVersion?: string;
  hasSymtab: boolean;
  hasDwarf: boolean;
  machineName: string;
}

/** Processes inspected at once (bounds open files and keeps a large host quick). */
const CONCURRENCY = 32;
/** Cache entries kept; the oldest go first. A host has far fewer distinct executables. */
const CACHE_MAX = 4096;
/** CAP_SYS_PTRACE in the CapEff mask. */
const CAP_SYS_PTRACE = 19n;

const exeCache = new Map<string, ExeFacts>();

/** Drops every cached ELF result (tests; or after a deploy replaced many binaries in place). */
export function clearDiscoveryCache(): void {
  exeCache.clear();
}

/** Number of cached executables (tests use it to prove the cache is hit). */
export function discoveryCacheSize(): number {
  return exeCache.size;
}

function cacheGet(key: string): ExeFacts | undefined {
  const v = exeCache.get(key);
  if (v !== undefined) {
    // Refresh recency so the eviction below is least-recently-used.
    exeCache.delete(key);
    exeCache.set(key, v);
  }
  return v;
}

function cachePut(key: string, v: ExeFacts): void {
  exeCache.set(key, v);
  while (exeCache.size > CACHE_MAX) {
    const oldest = exeCache.keys().next().value;
    if (oldest === undefined) break;
    exeCache.delete(oldest);
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** ELF facts of `path` (a /proc/PID/exe link or an ordinary path), cached by file identity. */
async function exeFacts(path: string): Promise<ExeFacts | undefined> {
  const st = await stat(path, { bigint: true });
  if (!st.isFile()) return undefined;
  const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.size}`;
  const hit = cacheGet(key);
  if (hit) return hit;
  let facts: ExeFacts;
  try {
    const elf = await readElfInfo(path);
    facts = { go: elf.goBuildId !== undefined || elf.goVersion !== undefined, hasSymtab: elf.hasSymtab, hasDwarf: elf.hasDwarf, machineName: elf.machineName };
    if (elf.goVersion !== undefined) facts.goVersion = elf.goVersion;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Not ELF / corrupt ELF is a property of the file: cache it. Unreadable is not.
    if (code !== 'GO_ERR_NOT_ELF' && code !== 'GO_ERR_BAD_ELF') throw err;
    facts = { go: false, hasSymtab: false, hasDwarf: false, machineName: 'other' };
  }
  cachePut(key, facts);
  return facts;
}

/** What we are allowed to do, read once per listing. */
interface Self {
  euid: number;
  egid: number;
  capPtrace: boolean;
  /** kernel.yama.ptrace_scope, undefined when Yama is absent. */
  yama: number | undefined;
}

async function selfFacts(): Promise<Self> {
  const euid = process.geteuid?.() ?? -1;
  const egid = process.getegid?.() ?? -1;
  let capPtrace = euid === 0;
  try {
    const capEff = parseProcStatus(await readFile('/proc/self/status', 'utf8')).capEff;
    if (capEff !== undefined) capPtrace = ((capEff >> CAP_SYS_PTRACE) & 1n) === 1n;
  } catch {
    /* keep the uid guess */
  }
  let yama: number | undefined;
  try {
    const v = Number((await readFile('/proc/sys/kernel/yama/ptrace_scope', 'utf8')).trim());
    yama = Number.isInteger(v) ? v : undefined;
  } catch {
    yama = undefined;
  }
  return { euid, egid, capPtrace, yama };
}

/**
 * Would ptrace(PTRACE_ATTACH) plausibly be allowed? The kernel's rule (ptrace_may_access +
 * Yama): CAP_SYS_PTRACE, or every uid and gid of the target equal to ours; then Yama scope
 * 1 allows only descendants (a gdb we start is never the target's ancestor), 2 only
 * CAP_SYS_PTRACE, 3 nobody. Non-dumpable (setuid) targets are not detected here.
 */
function ptraceDenial(me: Self, st: ProcStatus): string | undefined {
  if (me.yama === 3) return 'permission denied (ptrace disabled: yama ptrace_scope=3)';
  if (me.capPtrace) return undefined;
  const sameUser = st.uids.length > 0 && st.uids.slice(0, 3).every((u) => u === me.euid) && st.gids.slice(0, 3).every((g) => g === me.egid);
  if (!sameUser) return 'permission denied (another user)';
  if (me.yama !== undefined && me.yama > 0) return `permission denied (yama ptrace_scope=${me.yama})`;
  return undefined;
}

/**
 * Without permission to read /proc/PID/exe we cannot see the executable; argv[0] still
 * names it when the process was started by absolute path. Accepted only when the file
 * exists and its name agrees with the process's comm, and then only to report the
 * process as not attachable.
 */
async function guessExe(pid: number): Promise<string | undefined> {
  try {
    const [cmdline, comm] = await Promise.all([readFile(`/proc/${pid}/cmdline`), readFile(`/proc/${pid}/comm`, 'utf8')]);
    const end = cmdline.indexOf(0);
    const argv0 = cmdline.toString('utf8', 0, end < 0 ? cmdline.length : end);
    if (!argv0.startsWith('/')) return undefined;
    const base = argv0.slice(argv0.lastIndexOf('/') + 1);
    // comm is the executable's basename truncated to 15 bytes (unless the program renamed itself).
    if (base === '' || !base.startsWith(comm.replace(/\n$/, '')) || comm.trim() === '') return undefined;
    return argv0;
  } catch {
    return undefined;
  }
}


/** How many parent links a tracer may be below `self` (node → setpriv → sh → gdb, with slack). */
const MAX_TRACER_DEPTH = 6;

/** Tells whether a tracer is the bridge's own; memoised for one listing. */
function ownTracerTest(self: number | undefined, extra: Iterable<number> | undefined): (tracer: number) => Promise<boolean> {
  const known = new Map<number, Promise<boolean>>();
  for (const p of extra ?? []) known.set(p, Promise.resolve(true));
  const descends = async (pid: number): Promise<boolean> => {
    if (self === undefined) return false;
    let p = pid;
    for (let depth = 0; depth < MAX_TRACER_DEPTH && p > 1; depth++) {
      let status: string;
      try {
        status = await readFile(`/proc/${p}/status`, 'utf8');
      } catch {
        return false;
      }
      p = parseProcStatus(status).ppid;
      if (p === self) return true;
    }
    return false;
  };
  return (tracer) => {
    let r = known.get(tracer);
    if (r === undefined) {
      r = descends(tracer);
      known.set(tracer, r);
    }
    return r;
  };
}

async function inspect(pid: number, me: Self, isOwnTracer: (tracer: number) => Promise<boolean>): Promise<TargetListing | undefined> {
  const procExe = `/proc/${pid}/exe`;
  let exe: string;
  let facts: ExeFacts | undefined;
  let unreadable = false;
  try {
    exe = await readlink(procExe);
    facts = await exeFacts(procExe);
  } catch (err) {
    const code = errno(err) ?? errno((err as { cause?: unknown }).cause);
    if (code !== 'EACCES' && code !== 'EPERM') return undefined; // kernel thread, zombie, or gone
    // Another user's process: look at the file argv[0] names, if we can.
    const guess = await guessExe(pid);
    if (guess === undefined) return undefined;
    try {
      facts = await exeFacts(guess);
    } catch {
      return undefined;
    }
    exe = guess;
    unreadable = true;
  }
  if (!facts?.go) return undefined;
  // Only Go processes get this far (kernel threads and most others stop at the readlink).
  let st: ProcStatus;
  try {
    st = parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined; // exited
  }

  const reason = await (async (): Promise<string | undefined> => {
    if (unreadable) return 'permission denied (cannot read /proc/PID/exe)';
    if (st.state === 'Z' || st.state === 'X') return 'exited (zombie)';
    const vr = goVersionProblem(facts.goVersion);
    if (vr) return vr;
    if (!archFor(facts.machineName)) return `unsupported architecture ${facts.machineName}`;
    if (!facts.hasSymtab) return 'stripped (no symbol table); needs an unstripped copy (exe)';
    if (!facts.hasDwarf) return 'no DWARF (-ldflags=-w); needs an unstripped copy (exe)';
    if (st.tracerPid !== 0 && !(await isOwnTracer(st.tracerPid))) return `already traced by PID ${st.tracerPid}`;
    return ptraceDenial(me, st);
  })();
  // Key order is the wire order: pid, exe, goVersion, attachable, reason, attached.
  return {
    pid,
    exe,
    ...(facts.goVersion === undefined ? {} : { goVersion: facts.goVersion }),
    attachable: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    attached: false,
  };
}

/**
 * Lists the Go processes on this host (PID order), each with whether the bridge could attach
 * and, if not, why in a few words. `attached` is always false: the caller knows its own
 * subscriptions. Never throws for one process; throws only when /proc cannot be listed.
 */
export async function listGoProcesses(opts: ListOptions = {}): Promise<TargetListing[]> {
  const [entries, me] = await Promise.all([readdir('/proc'), selfFacts()]);
  const own = ownTracerTest(opts.self, opts.ownTracers);
  const pids = entries.filter((e) => /^[0-9]+$/.test(e)).map(Number).filter((p) => p !== opts.self && p > 0).sort((a, b) => a - b);
  const results: Array<TargetListing | undefined> = new Array(pids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pids.length) {
      const i = next++;
      try {
        results[i] = await inspect(pids[i]!, me, own);
      } catch {
        results[i] = undefined; // one bad process never fails the listing
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, pids.length) }, worker));
  return results.filter((r): r is TargetListing => r !== undefined);
}
