// Console text gdb prints on its own whenever the inferior gains or loses a thread
// (`print thread-events`): `[New LWP n]`, `[New Thread 0x… (LWP n)]`, `[New Thread p.t]` over
// remote, `[LWP n exited]`, `[Thread … exited]`. It arrives between commands, so it belongs to
// none of them; the client must not fold it into the output of whichever command is pending
// (a Go target starts threads at any time, e.g. in the middle of pipelined `ptype/o`s).

const NOTICE_LINE = /^\[(?:New (?:LWP|Thread) [^\]\n]+|(?:LWP|Thread) [^\]\n]+ exited)\]$/;

/**
 * True when a `~` fragment consists only of complete thread notice lines. gdb prints each
 * notice with one call, so it is its own fragment; anything else in the fragment (real
 * command output) keeps the whole fragment.
 */
export function isThreadNotice(text: string): boolean {
  if (!text.endsWith('\n')) return false;
  return text
    .slice(0, -1)
    .split('\n')
    .every((line) => NOTICE_LINE.test(line));
}
