// `mstat --watch`: readings at an interval into the live view (clients/cli/watch-view.ts),
// redrawn in place on a terminal, one line each otherwise. Stopping (Ctrl-C) is the
// caller's: it closes the source and exits.
import { LiveFrame, watchBlock, watchLine } from './watch-view.ts';
import type { Reading } from '../shared/reading.ts';
import { CliError } from './exit-codes.ts';
import type { Source } from './source.ts';

export interface WatchOptions {
  intervalMs: number;
  /** stop after this many readings */
  count: number | undefined;
  /** stdout is a terminal: redraw in place */
  tty: boolean;
  /** the terminal's width now (it may be resized) */
  columns(): number | undefined;
  /** stdout */
  write(text: string): void;
  /** a line for stderr */
  warn(line: string): void;
  /** title lines for the terminal view (default: the target) */
  header?: string[];
}

/** Reads until `count` readings are shown; throws the first error that is not transient. */
export async function runWatch(src: Source, opts: WatchOptions): Promise<void> {
  const frame = new LiveFrame();
  let prev: Reading | undefined;
  let notice: string | undefined;
  for (let shown = 0; opts.count === undefined || shown < opts.count; ) {
    let r: Reading;
    try {
      r = await src.next();
    } catch (err) {
      if (!(err instanceof CliError) || !err.transient) throw err;
      // Worth showing, not worth stopping for: the next reading may well succeed.
      notice = err.message;
      if (!opts.tty) opts.warn(`mstat: ${err.message}`);
      continue;
    }
    if (opts.tty) opts.write(frame.frame(watchBlock(r, prev, { header: opts.header, target: src.target, intervalMs: opts.intervalMs, notice }), opts.columns()));
    else opts.write(watchLine(r, prev) + '\n');
    notice = undefined;
    prev = r;
    shown++;
  }
}
