// The narrow stream an MI channel talks over: text out, text chunks in, and one notice that
// nothing more can pass. gdb's pipes are one; an in-memory pair is another (the unit tests).

export interface MiStream {
  /** Sends text to gdb (whole command lines, newline-terminated). */
  write(text: string): void;
  /** Closes the way to gdb: its EOF, on which a gdb that still reads detaches and quits. */
  end(): void;
  /** gdb's output, as decoded text, in chunks cut anywhere (even inside a UTF-8 character's line). */
  onData(listener: (chunk: string) => void): void;
  /** Nothing can pass any more (gdb's output closed, or writing failed). Called at most once. */
  onClose(listener: (reason: string, err?: Error) => void): void;
}
