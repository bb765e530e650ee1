// `gdb --version` parsing and feature gates on it.

export interface GdbVersion {
  major: number;
  minor: number;
  /** The first line of `gdb --version`, for logs. */
  banner: string;
}

/** Parses e.g. "GNU gdb (Debian 13.1-3) 13.1" or "GNU gdb (GDB) 14.0.50.20230101-git". */
export function parseGdbVersion(output: string): GdbVersion | undefined {
  const banner = output.split('\n', 1)[0]?.trim() ?? '';
  if (!/^GNU gdb\b/.test(banner)) return undefined;
  const m = /(\d+)\.(\d+)(?:\.\d+)*(?:[-.\w]*)?\s*$/.exec(banner);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), banner };
}

export function versionAtLeast(v: GdbVersion, major: number, minor = 0): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Oldest gdb we accept: non-stop MI, `--language` and `ptype/o` are all older than this. */
export const MIN_GDB = { major: 10, minor: 0 } as const;
