// A bench's command line: its flags parsed strictly, --help answered, a bad value refused with
// the usage (exit 2), the same way in every bench.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { print } from './report.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Prints why and the usage on stderr, and exits 2. */
export function usageError(usage: string, why: string): never {
  process.stderr.write(`${why}\n${usage}\n`);
  process.exit(2);
}

/** The flags' values (`options` must hold `help: { type: 'boolean', short: 'h' }`). */
export function benchArgs<const O extends Options>(usage: string, options: O): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  let values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
  try {
    values = parseArgs({ options, strict: true }).values;
  } catch (err) {
    usageError(usage, (err as Error).message);
  }
  if ((values as { help?: boolean }).help) {
    print(usage);
    process.exit(0);
  }
  return values;
}
