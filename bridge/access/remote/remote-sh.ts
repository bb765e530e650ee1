// The only place remote shell text is made. Every script is fixed text plus integers (PIDs,
// sizes): no client string is ever part of it. ssh hands the command to the remote user's
// login shell, so it is `exec sh -c '…'` with a body that has neither single quotes nor
// backslashes (which would mean different things to bash, dash, zsh and fish).

/** A positive integer for a script; anything else is a bug, not input. */
export function int(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  return String(n);
}

/** Wraps a POSIX sh script for the remote login shell. */
export function shCommand(script: string): string {
  if (/['\\]/.test(script)) throw new Error('remote script must not contain single quotes or backslashes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(script)) throw new Error('remote script must not contain control characters');
  return `exec sh -c '${script.trim()}'`;
}

/**
 * Puts a process left in group-stop (any thread in State T) with no tracer back to running:
 * the remote twin of bridge/access/watchdog.ts. Watches `rounds` × 50 ms, because the
 * kernel detaches threads one by one after a tracer dies. Prints `mstat:resumed` once it
 * sent SIGCONT, `mstat:gone` if the process does not exist.
 */
export function resumeFunction(): string {
  return `
resume_if_stopped() {
  p=$1; n=$2; i=0; r=
  while [ "$i" -lt "$n" ]; do
    if [ -r "/proc/$p/status" ]; then
      if grep -qx "TracerPid:[[:space:]]*0[[:space:]]*" "/proc/$p/status" 2>/dev/null; then
        for s in /proc/$p/task/*/status; do
          if grep -q "^State:[[:space:]]*T" "$s" 2>/dev/null; then kill -CONT "$p" 2>/dev/null && r=1; break; fi
        done
      fi
    else
      echo mstat:gone; return 0
    fi
    i=$((i + 1)); sleep 0.05 2>/dev/null || sleep 1
  done
  [ -z "$r" ] || echo mstat:resumed
}
`;
}

/**
 * Shell functions that read an executable's ELF headers with od (ELF64 only, which is all
 * the bridge reads: amd64, arm64; od reads in host byte order, which is the executable's on
 * its own host). `go_buildinfo F` prints the 1 KiB at the Go build-info blob (magic 0xff
 * then " Go buildinf:"), searched in the first 256 KiB of each read-write PT_LOAD segment,
 * where .go.buildinfo lives (a PIE build has two such segments); `section_names F` prints
 * the section-name string table. Few processes per call: each od reads a whole table.
 */
export function exeFunctions(): string {
  return `
elf_header() {
  f=$1
  [ "$(od -An -j4 -N1 -tu1 "$f" 2>/dev/null | tr -d " ")" = 2 ] || return 1
  set -- $(od -An -v -j32 -N16 -tu8 "$f" 2>/dev/null) $(od -An -v -j54 -N10 -tu2 "$f" 2>/dev/null)
  [ $# -eq 7 ] || return 1
  po=$1; so=$2; pe=$3; pn=$4; se=$5; sn=$6; sx=$7
}
go_buildinfo() {
  f=$1; elf_header "$f" || return 0
  [ "$pe" = 56 ] && [ "$pn" -le 64 ] || return 0
  set -- $(od -An -v -j"$po" -N$((pn * 56)) -tu4 "$f" 2>/dev/null)
  while [ $# -ge 14 ]; do
    if [ "$1" = 1 ] && [ "$2" = 6 ]; then
      s=$(($3 + $4 * 4294967296))
      m=$(tail -c +$((s + 1)) "$f" 2>/dev/null | head -c 262144 | grep -abo -m1 "Go buildinf:" | head -n 1 | cut -d: -f1)
      if [ -n "$m" ] && [ "$m" -ge 2 ]; then
        echo "@@buildinfo"
        tail -c +$((s + m - 1)) "$f" | head -c 1024 | base64
        return 0
      fi
    fi
    shift 14
  done
}
section_names() {
  f=$1; elf_header "$f" || return 0
  [ "$so" -gt 0 ] && [ "$sx" -lt "$sn" ] || return 0
  set -- $(od -An -v -j$((so + sx * se + 24)) -N16 -tu8 "$f" 2>/dev/null)
  [ $# -eq 2 ] && [ "$2" -le 65536 ] || return 0
  echo "@@shstrtab"
  tail -c +$(($1 + 1)) "$f" | head -c "$2" | base64
}
`;
}

/** Splits `@@name` sections of a script's output (lines before the first are login noise). */
export function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@@(\S+)(?: (.*))?$/.exec(line);
    if (m) {
      cur = [];
      if (m[2] !== undefined) cur.push(m[2]);
      out.set(m[1]!, cur);
      continue;
    }
    cur?.push(line);
  }
  return out;
}

/** A base64 section as bytes (empty when absent). */
export function bytesOf(sec: string[] | undefined): Buffer {
  return sec === undefined ? Buffer.alloc(0) : Buffer.from(sec.join(''), 'base64');
}
