// Go versions: parsing runtime.Version() strings, and which releases the decoder reads.

export interface GoVersion {
  raw: string;
  major: number;
  minor: number;
  patch: number;
  devel: boolean;
  /** GOEXPERIMENTs from the ` X:a,b` suffix. */
  experiments: string[];
}

/**
 * Parses a runtime.Version() string: `go1.23.5`, `go1.22rc1` (patch 0),
 * `go1.27.3 X:greenteagc,nojsonv2`, `devel go1.27-abcdef1234 Tue Jan 1 …`,
 * `go1.25-devel_abcdef …`. Undefined when it is not a Go version.
 */
export function parseGoVersion(s: string): GoVersion | undefined {
  const m = /^(devel\s+)?go(\d+)\.(\d+)(?:\.(\d+))?(\S*)/.exec(s.trim());
  if (!m) return undefined;
  const suffix = m[5] ?? '';
  const x = /(?:^|\s)X:(\S+)/.exec(s);
  return {
    raw: s,
    major: Number(m[2]),
    minor: Number(m[3]),
    patch: m[4] === undefined ? 0 : Number(m[4]),
    devel: m[1] !== undefined || suffix.startsWith('-devel') || suffix.startsWith('+devel'),
    experiments: x?.[1] ? x[1].split(',').filter((e) => e !== '') : [],
  };
}

/** The oldest Go release the decoder supports (1.MIN_GO_MINOR); older ones are refused everywhere. */
export const MIN_GO_MINOR = 19;

/** Whether the decoder supports this Go release. */
export function goVersionSupported(v: GoVersion): boolean {
  return v.major > 1 || (v.major === 1 && v.minor >= MIN_GO_MINOR);
}

/** Why a listed process cannot be read because of its Go version; undefined when it can. */
export function goVersionProblem(goVersion: string | undefined): string | undefined {
  if (goVersion === undefined) return 'Go version unknown (no build info)';
  const v = parseGoVersion(goVersion);
  if (!v) return `Go version unknown (${goVersion})`;
  if (!goVersionSupported(v)) return `Go ${goVersion} unsupported (needs go1.${MIN_GO_MINOR}+)`;
  return undefined;
}
