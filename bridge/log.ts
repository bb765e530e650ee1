// The root pino logger. Built once at each entry point and passed down; modules take
// `log.child({ component })`. Where stdout carries data (mstat, the DAP adapter), logs go to stderr.
import pino, { type Logger } from 'pino';

export type { Logger };

import { LOG_LEVELS, type LogLevel } from './log-levels.ts';

export { LOG_LEVELS, type LogLevel };

export function createRootLogger(opts: { level?: LogLevel | undefined; name?: string; destination?: 'stdout' | 'stderr' } = {}): Logger {
  const level = opts.level ?? (process.env.MSTAT_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`unknown log level '${level}' (one of ${LOG_LEVELS.join(', ')})`);
  }
  const fd = opts.destination === 'stdout' ? 1 : 2;
  return pino({ name: opts.name ?? 'mstat-bridge', level }, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything: for library use and tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
