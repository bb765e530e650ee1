// MI output records as a discriminated union on `kind` (gdb manual, "GDB/MI Output Syntax").

/** A c-string, a tuple, or a list. Lists of results keep only their values (gdb repeats the name). */
export type MiValue = string | MiTuple | MiValue[];
/** A tuple: null-prototype object. A key gdb repeats (a known quirk) holds an array of the values. */
export interface MiTuple {
  [name: string]: MiValue;
}

export type MiResultClass = 'done' | 'running' | 'connected' | 'error' | 'exit';
export const MI_RESULT_CLASSES: readonly MiResultClass[] = ['done', 'running', 'connected', 'error', 'exit'];

export interface MiResultRecord {
  kind: 'result';
  token: string | undefined;
  class: MiResultClass;
  results: MiTuple;
}

/** `*` exec, `+` status and `=` notify async records: never replies, always events. */
export interface MiAsyncRecord {
  kind: 'exec' | 'status' | 'notify';
  token: string | undefined;
  class: string;
  results: MiTuple;
}

/** `~` console, `@` target and `&` log streams, c-string decoded. */
export interface MiStreamRecord {
  kind: 'console' | 'target' | 'log';
  text: string;
}

export interface MiPromptRecord {
  kind: 'prompt';
}

/** A line that is not MI: the parser never throws, it returns this instead. */
export interface MiParseErrorRecord {
  kind: 'parse-error';
  line: string;
  message: string;
  offset: number;
}

export type MiRecord = MiResultRecord | MiAsyncRecord | MiStreamRecord | MiPromptRecord | MiParseErrorRecord;

export function isTuple(v: MiValue | undefined): v is MiTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
