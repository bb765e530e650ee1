// The process collector's facts about a target, from the same /proc files and with the same
// arithmetic as github.com/prometheus/procfs (which client_golang uses), so a process reads
// the same whether it exports them itself or the bridge does. Parsing is pure; the local
// reader is here, the remote one runs a fixed script over ssh (remote/remote-proc.ts).
import { readdir, readFile, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import type { ProcessStats } from '../../../protocol/process-stats.ts';

/** procfs' fixed USER_HZ: Linux reports ticks in 1/100 s to user space. */
const USER_HZ = 100;
const U64_MAX = (1n << 64n) - 1n;

/** The raw text read from /proc for one process, and the host's page size and boot time. */
export interface ProcFiles {
  /** /proc/PID/stat */
  stat: string;
  /** /proc/PID/limits */
  limits: string;
  /** /proc/PID/net/netstat; undefined when unreadable */
  netstat: string | undefined;
  /** entries of /proc/PID/fd */
  openFds: number;
  /** btime of /proc/stat */
  bootTime: number;
  pageSize: number;
}

/** A soft limit of /proc/PID/limits ("unlimited" is 2^64−1, as procfs has it). */
function softLimit(limits: string, name: string): bigint | undefined {
  for (const line of limits.split('\n')) {
    if (!line.startsWith(name)) continue;
    const soft = /^Max [\w ]+?\s{2,}(\w+)\s+\w+/.exec(line)?.[1];
    if (soft === 'unlimited') return U64_MAX;
    return soft !== undefined && /^\d+$/.test(soft) ? BigInt(soft) : undefined;
  }
  return undefined;
}

/** IpExt's InOctets and OutOctets (a header line of names, then one of values). */
function ipExtOctets(netstat: string | undefined): { rx?: bigint; tx?: bigint } {
  const lines = (netstat ?? '').split('\n').filter((l) => l.startsWith('IpExt:'));
  if (lines.length < 2) return {};
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1);
  const at = (k: string): bigint | undefined => {
    const v = values[names.indexOf(k)];
    return v !== undefined && /^\d+$/.test(v) ? BigInt(v) : undefined;
  };
  return { rx: at('InOctets'), tx: at('OutOctets') };
}

/** Throws on a stat line that is not one (the process is gone or the file is not /proc's). */
export function parseProcessStats(f: ProcFiles, time: Date): ProcessStats {
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields follow the last ')'.
  const rest = f.stat.slice(f.stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  const field = (k: number): bigint => {
    const v = rest[k - 3];
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`field ${k} of /proc/PID/stat is not a number: ${JSON.stringify(f.stat.slice(0, 80))}`);
    return BigInt(v);
  };
  const ticks = field(14) + field(15);
  const { rx, tx } = ipExtOctets(f.netstat);
  return {
    cpuSeconds: Number(ticks) / USER_HZ,
    residentBytes: field(24) * BigInt(f.pageSize),
    virtualBytes: field(23),
    virtualMaxBytes: softLimit(f.limits, 'Max address space') ?? U64_MAX,
    openFds: f.openFds,
    maxFds: softLimit(f.limits, 'Max open files') ?? U64_MAX,
    startTimeSeconds: f.bootTime + Number(field(22)) / USER_HZ,
    networkReceiveBytes: rx,
    networkTransmitBytes: tx,
    time: time.toISOString(),
  };
}

/** btime of a /proc/stat text. */
export function bootTimeOf(procStat: string): number {
  const m = /^btime\s+(\d+)$/m.exec(procStat);
  if (!m) throw new Error('no btime line in /proc/stat');
  return Number(m[1]);
}

let localPageSize: number | undefined;

/** This host's page size (getconf: Node does not expose getpagesize). */
function pageSize(): number {
  localPageSize ??= Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
  return localPageSize;
}

/** A local process's files, or undefined when it is gone. */
export async function readLocalProcFiles(pid: number): Promise<ProcFiles | undefined> {
  const dir = `/proc/${pid}`;
  try {
    const [statText, limits, netstat, fdDir, procStat] = await Promise.all([
      readFile(`${dir}/stat`, 'utf8'),
      readFile(`${dir}/limits`, 'utf8'),
      readFile(`${dir}/net/netstat`, 'utf8').catch(() => undefined),
      // Linux ≥ 6.2 gives the count as the directory's size, as procfs uses; else list it.
      stat(`${dir}/fd`).then(async (s) => (s.size > 0 ? s.size : (await readdir(`${dir}/fd`)).length)),
      readFile('/proc/stat', 'utf8'),
    ]);
    return { stat: statText, limits, netstat, openFds: fdDir, bootTime: bootTimeOf(procStat), pageSize: pageSize() };
  } catch {
    return undefined;
  }
}

/**
 * The latest process stats, read at most every `maxAgeMs`: a sampler at 10 ms must not read
 * /proc (or run ssh) 100 times a second for values a scrape looks at every few seconds. A
 * read in flight is shared; a stale value is returned while a fresh one is on its way.
 */
export class ProcessStatsCache {
  private latest: ProcessStats | undefined;
  private readAt = 0;
  private inFlight: Promise<ProcessStats | undefined> | undefined;

  /** `awaitFirst`: the first get() waits for the read (cheap locally; an ssh round trip is not). */
  constructor(
    private readonly read: () => Promise<ProcFiles | undefined>,
    private readonly maxAgeMs: number,
    private readonly awaitFirst: boolean,
  ) {}

  get(): Promise<ProcessStats | undefined> {
    if (Date.now() - this.readAt < this.maxAgeMs) return Promise.resolve(this.latest);
    this.inFlight ??= this.refresh();
    // Later reads run behind the value we already have.
    return this.latest === undefined && this.awaitFirst ? this.inFlight : Promise.resolve(this.latest);
  }

  private async refresh(): Promise<ProcessStats | undefined> {
    try {
      const files = await this.read();
      this.readAt = Date.now();
      this.latest = files ? parseProcessStats(files, new Date(this.readAt)) : undefined;
      return this.latest;
    } catch {
      this.readAt = Date.now();
      return this.latest;
    } finally {
      this.inFlight = undefined;
    }
  }
}
