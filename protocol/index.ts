// The wire contract: every client imports this, and it imports only zod.
export * from './codecs.ts';
export * from './memstats.ts';
export * from './process-stats.ts';
export * from './version.ts';
export * from './errors.ts';
export * from './target.ts';
export * from './client-messages.ts';
export * from './server-messages.ts';
