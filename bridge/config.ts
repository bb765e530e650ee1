// Bridge configuration from flags and environment, validated once into a frozen Config.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './log.ts';

export const USAGE = `usage: mstat-bridge [options]

Serves exact Go runtime.MemStats of local processes (over ssh, remote ones; and core
files), read from outside through gdb: the live dashboard at /, WebSocket /v1/ws,
Prometheus /metrics, /healthz.

  --listen HOST:PORT     address to bind (default 127.0.0.1:7070; env MSTAT_LISTEN).
                         Anything but loopback requires --token.
  --token TOKEN          required from clients (Authorization: Bearer, or ?token= for
                         browsers) and on /metrics (env MSTAT_TOKEN)
  --scrape-attach PIDS   comma-separated PIDs kept attached for /metrics scraping
                         (env MSTAT_SCRAPE_ATTACH)
  --scrape-interval MS   sampling interval of scrape-attached targets (default 5000)
  --allow-pids PIDS      only these PIDs may be read (env MSTAT_ALLOW_PIDS)
  --same-uid             only processes of the bridge's own uid may be read
  --ssh-config FILE      ssh client config for remote targets ({"ssh":"host","pid":N});
                         default: the user's ~/.ssh/config (env MSTAT_SSH_CONFIG)
  --log-level LEVEL      ${LOG_LEVELS.join('|')} (default info; env MSTAT_LOG_LEVEL)
  --help                 this text`;

const PidList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'a comma-separated list of PIDs')
  .transform((s) => s.split(',').map((x) => Number(x.trim())));

export const ConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    token: z.string().min(8, 'a token needs at least 8 characters').optional(),
    scrapeAttach: z.array(z.number().int().positive()).default([]),
    scrapeIntervalMs: z.number().int().min(10).default(5000),
    allowPids: z.array(z.number().int().positive()).optional(),
    sameUid: z.boolean().default(false),
    /** ssh client config file (-F) for remote targets; undefined: ssh's own defaults */
    sshConfig: z.string().min(1).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** subscriptions one connection may hold */
    maxSubscriptions: z.number().int().positive().default(64),
    /** a subscriber whose socket buffers more than this gets samples dropped (latest wins) */
    maxBufferedBytes: z.number().int().positive().default(1 << 20),
    /** how long a target stays attached after its last subscriber left */
    lingerMs: z.number().int().min(0).default(2000),
    heartbeatMs: z.number().int().positive().default(15_000),
  })
  .refine((c) => c.token !== undefined || isLoopback(c.host), {
    message: 'binding to a non-loopback address requires --token (or MSTAT_TOKEN)',
  });
export type Config = Readonly<z.output<typeof ConfigSchema>>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function splitListen(s: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s.trim());
  if (!m) throw new TypeError(`--listen must be HOST:PORT, got '${s}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The ssh config file as an absolute path; a missing file is a usage error, not a later ssh failure. */
function sshConfigPath(file: string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  const abs = resolve(file);
  try {
    if (!statSync(abs).isFile()) throw new Error('not a file');
    accessSync(abs, constants.R_OK);
  } catch {
    throw new TypeError(`--ssh-config ${file}: not a readable file`);
  }
  return abs;
}

/** Parses argv + env. Throws TypeError with a one-line message on bad input; `help` → undefined. */
export function configFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Config | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      token: { type: 'string' },
      'scrape-attach': { type: 'string' },
      'scrape-interval': { type: 'string' },
      'allow-pids': { type: 'string' },
      'same-uid': { type: 'boolean' },
      'ssh-config': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const { host, port } = splitListen(values.listen ?? env.MSTAT_LISTEN ?? '127.0.0.1:7070');
  const list = (s: string | undefined): number[] | undefined => (s === undefined || s === '' ? undefined : PidList.parse(s));
  const r = ConfigSchema.safeParse({
    host,
    port,
    token: values.token ?? env.MSTAT_TOKEN ?? undefined,
    scrapeAttach: list(values['scrape-attach'] ?? env.MSTAT_SCRAPE_ATTACH) ?? [],
    scrapeIntervalMs: values['scrape-interval'] === undefined ? undefined : Number(values['scrape-interval']),
    allowPids: list(values['allow-pids'] ?? env.MSTAT_ALLOW_PIDS),
    sameUid: values['same-uid'] ?? false,
    sshConfig: sshConfigPath(values['ssh-config'] ?? env.MSTAT_SSH_CONFIG),
    logLevel: values['log-level'] ?? env.MSTAT_LOG_LEVEL ?? 'info',
  });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TypeError(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return Object.freeze(r.data);
}
