// The bridge's settings once parsed (config.ts turns flags and variables into this): a leaf the
// server and the targets layer may import without the command-line code.
import { z } from 'zod';
import { LOG_LEVELS } from './log-levels.ts';

export const ConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    token: z.string().min(8, 'a token needs at least 8 characters').optional(),
    /** where the token is kept when none is given (undefined: defaultTokenFile()) */
    tokenFile: z.string().startsWith('/').optional(),
    /** no token at all (loopback only) */
    noAuth: z.boolean().default(false),
    /** host names (Host header) the bridge answers for besides IPs, localhost and its listen host */
    allowHosts: z.array(z.string().min(1)).default([]),
    scrapeAttach: z
      .array(z.union([z.object({ pid: z.number().int().positive(), exe: z.string().startsWith('/').optional() }), z.object({ program: z.string().startsWith('/') })]))
      .default([]),
    scrapeIntervalMs: z.number().int().min(10).max(3_600_000).default(5000),
    allowPids: z.array(z.number().int().positive()).optional(),
    /** real paths of the executables local targets may run */
    allowExes: z.array(z.string().startsWith('/')).optional(),
    sameUid: z.boolean().default(false),
    /** ssh client config file (-F) for remote targets; undefined: ssh's own defaults */
    sshConfig: z.string().min(1).optional(),
    /** the ssh client; undefined: $MSTAT_SSH or ssh on PATH */
    sshProgram: z.string().min(1).optional(),
    /** the gdb to run; undefined: $MSTAT_GDB or gdb on PATH */
    gdbPath: z.string().min(1).optional(),
    /** RSS growth (MiB) at which a target's gdb is replaced; 0: never */
    gdbRecycleMiB: z.number().int().min(0).max(1_000_000).default(128),
    /** samples after which a target's gdb is replaced; 0: never */
    gdbRecycleSamples: z.number().int().min(0).max(1_000_000_000).default(0),
    /** layout cache directory; undefined: $MSTAT_CACHE_DIR or the XDG default */
    cacheDir: z.string().min(1).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** subscriptions one connection may hold */
    maxSubscriptions: z.number().int().min(1).max(100_000).default(64),
    maxConnections: z.number().int().min(1).max(100_000).default(256),
    maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(32),
    /** sessions (gdb processes) at once */
    maxTargets: z.number().int().min(1).max(10_000).default(32),
    maxFramesPerSecond: z.number().int().min(1).max(100_000).default(50),
    maxListsPerMinute: z.number().int().min(1).max(100_000).default(30),
    /** a subscriber whose socket buffers more than this gets samples dropped (latest wins) */
    maxBufferedBytes: z.number().int().min(1024).max(1 << 30).default(1 << 20),
    /** how long a target stays attached after its last subscriber left */
    lingerMs: z.number().int().min(0).max(3_600_000).default(2000),
    heartbeatMs: z.number().int().min(100).max(3_600_000).default(15_000),
  })
  .refine((c) => !c.noAuth || isLoopback(c.host), {
    message: '--no-auth is for a loopback address only: anything else needs a token (--token, --token-file, or the default token file)',
  })
  .refine((c) => !c.noAuth || (c.token === undefined && c.tokenFile === undefined), {
    message: '--no-auth goes with neither --token nor --token-file',
  });
export type Config = Readonly<z.output<typeof ConfigSchema>>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
