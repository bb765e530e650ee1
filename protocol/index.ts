// The wire contract: every client imports this, and it imports only zod.
export * from './codecs.ts';
export * from './memstats.ts';
