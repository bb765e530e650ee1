#!/usr/bin/env bash
# Builds every Go test target under test/targets/*/ with every supported Go
# toolchain, plus cgo/pie/nodwarf/stripped variants with the Go 1.26 toolchain
# and a "large" variant (-tags large, for programs that have a //go:build large
# file: much more of the standard library linked in) with the Go 1.27 toolchain,
# into test/targets/.build/, and writes test/targets/.build/manifest.json.
#
#   FIXTURE_OUT=DIR             build into DIR (its own manifest) instead of
#                               test/targets/.build: the demo builds its program
#                               there, so it never rewrites the tests' manifest.
#   FIXTURE_TOOLCHAINS="1.26"   build only these toolchains (space-separated
#                               subset of: 1.19 1.21 1.22 1.23 1.26 1.27);
#                               default: all. Variants are built whenever 1.26
#                               is in the set, the large one whenever 1.27 is.
#   FIXTURE_INSTRUMENTED=0      skip test/instrumented (client_golang's own /metrics,
#                               built with 1.26 into .build/instrumented).
#
# A build is skipped when its output exists and its stamp (sha256 of the
# program's files, go.mod, the toolchain version, environment and flags)
# matches. A missing toolchain or a failed build is an error, never a skip.
# Logs and the summary table go to stderr; stdout stays empty.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGETS="$ROOT/test/targets"
OUT="${FIXTURE_OUT:-$TARGETS/.build}"
MANIFEST="$OUT/manifest.json"

ALL_TOOLCHAINS=(1.19 1.21 1.22 1.23 1.26 1.27)
GO127_VERSION=go1.27.3   # fetched through GOTOOLCHAIN by scripts/setup.sh
VARIANT_TOOLCHAIN=1.26
VARIANTS=(cgo pie nodwarf stripped)
# Newest toolchain, so a benchmark can compare it with the default build of the
# same toolchain: only the size differs.
LARGE_TOOLCHAIN=1.27
STAMP_FORMAT="mstat-bridge fixture stamp v1"

log() { printf 'build-fixtures: %s\n' "$*" >&2; }
die() { printf 'build-fixtures: ERROR: %s\n' "$*" >&2; exit 1; }

for tool in readelf sha256sum flock numfmt; do
  command -v "$tool" >/dev/null || die "required tool '$tool' not found (binutils/coreutils/util-linux)"
done
[ -f "$TARGETS/go.mod" ] || die "$TARGETS/go.mod not found"

# ------------------------------------------------------------ toolchain set
selected=()
if [ -n "${FIXTURE_TOOLCHAINS:-}" ]; then
  read -r -a requested <<<"$FIXTURE_TOOLCHAINS"
  for r in "${requested[@]}"; do
    r="${r#go}"
    ok=0
    for t in "${ALL_TOOLCHAINS[@]}"; do [ "$t" = "$r" ] && ok=1; done
    [ "$ok" = 1 ] || die "FIXTURE_TOOLCHAINS: unknown toolchain '$r' (known: ${ALL_TOOLCHAINS[*]})"
  done
  # Keep the canonical order, drop duplicates.
  for t in "${ALL_TOOLCHAINS[@]}"; do
    for r in "${requested[@]}"; do
      if [ "${r#go}" = "$t" ]; then selected+=("$t"); break; fi
    done
  done
else
  selected=("${ALL_TOOLCHAINS[@]}")
fi

# ---------------------------------------------------------------- programs
programs=()
for dir in "$TARGETS"/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  # A program is a directory with a main package (ignore e.g. testdata dirs).
  if grep -qsl '^package main$' "$dir"/*.go; then programs+=("$name"); fi
done
[ "${#programs[@]}" -gt 0 ] || die "no Go programs found under $TARGETS/*/"

mkdir -p "$OUT"
# Serialize concurrent runs (e.g. parallel test workers).
exec 9>"$OUT/.lock"
flock -w 900 9 || die "timed out waiting for the lock on $OUT/.lock"
# No manifest unless this run succeeds: a failed run must not leave a stale one.
rm -f "$MANIFEST"

# ------------------------------------------------------------- toolchains
# resolve_toolchain <1.xx>: sets GO_BIN, GO_ENV (array), GO_VERSION, GO_FULL.
resolve_toolchain() {
  local tc=$1
  case "$tc" in
    1.19 | 1.21 | 1.22 | 1.23)
      GO_BIN="/usr/lib/go-$tc/bin/go"
      GO_ENV=(GOTOOLCHAIN=local)
      [ -x "$GO_BIN" ] || die "toolchain $tc: $GO_BIN not found (install golang-$tc-go; see scripts/setup.sh)"
      ;;
    1.26)
      GO_BIN="$(command -v go || true)"
      GO_ENV=(GOTOOLCHAIN=local)
      [ -n "$GO_BIN" ] || die "toolchain 1.26: no 'go' on PATH"
      ;;
    1.27)
      GO_BIN="$(command -v go || true)"
      GO_ENV=("GOTOOLCHAIN=$GO127_VERSION")
      [ -n "$GO_BIN" ] || die "toolchain 1.27: no 'go' on PATH to switch to $GO127_VERSION from"
      ;;
    *) die "internal: unknown toolchain $tc" ;;
  esac
  local out
  # GOVERSION exists in `go env` since 1.16; fall back to parsing `go version`.
  # stderr is not captured: it may carry "go: downloading go1.27.x" progress.
  if ! out="$(cd "$TARGETS" && env "${GO_ENV[@]}" "$GO_BIN" env GOVERSION)" || [[ "$out" != go1* ]]; then
    out="$(cd "$TARGETS" && env "${GO_ENV[@]}" "$GO_BIN" version)" ||
      die "toolchain $tc: '$GO_BIN version' (${GO_ENV[*]}) failed"
    out="$(awk '{print $3}' <<<"$out")"
  fi
  GO_VERSION="$out"
  case "$GO_VERSION" in
    "go$tc" | "go$tc".*) ;;
    *) die "toolchain $tc: $GO_BIN (${GO_ENV[*]}) reports version '$GO_VERSION', expected go$tc.x" ;;
  esac
  GO_FULL="$(cd "$TARGETS" && env "${GO_ENV[@]}" "$GO_BIN" version) | $(cd "$TARGETS" && env "${GO_ENV[@]}" "$GO_BIN" env GOOS GOARCH GOAMD64 GOFLAGS | tr '\n' ' ')" ||
    die "toolchain $tc: '$GO_BIN env' failed"
}

# ------------------------------------------------------------------ stamps
# source_hash <program>: the program's files plus go.mod/go.sum.
source_hash() {
  (
    cd "$TARGETS"
    find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum go.mod
    if [ -f go.sum ]; then sha256sum go.sum; fi
  ) | sha256sum | cut -d' ' -f1
}

# ------------------------------------------------------------ verification
# verify <file> <variant> <label>: sanity-check the ELF we produced.
verify() {
  local f=$1 variant=$2 label=$3 hdr phdrs sects syms
  hdr="$(readelf -hW "$f" 2>&1)" || die "$label: $f is not an ELF file: $hdr"
  phdrs="$(readelf -lW "$f" 2>&1)" || die "$label: readelf -l failed: $phdrs"
  sects="$(readelf -SW "$f" 2>&1)" || die "$label: readelf -S failed: $sects"
  local has_interp=0 has_dwarf=0 has_symtab=0 is_dyn=0
  grep -q 'Requesting program interpreter' <<<"$phdrs" && has_interp=1
  grep -Eq '\.z?debug_info' <<<"$sects" && has_dwarf=1
  grep -Eq '\.symtab' <<<"$sects" && has_symtab=1
  grep -Eq 'Type:[[:space:]]+DYN' <<<"$hdr" && is_dyn=1
  case "$variant" in
    default | nodwarf | stripped | large)
      [ "$has_interp" = 0 ] || die "$label: expected a static binary but it has PT_INTERP (CGO_ENABLED=0 ignored?)" ;;
    cgo)
      [ "$has_interp" = 1 ] || die "$label: expected a dynamically linked cgo binary but it has no PT_INTERP" ;;
    pie)
      [ "$is_dyn" = 1 ] || die "$label: expected an ELF of type DYN for -buildmode=pie" ;;
  esac
  case "$variant" in
    default | cgo | pie | large)
      [ "$has_dwarf" = 1 ] || die "$label: expected DWARF (.debug_info) but found none" ;;
    nodwarf | stripped)
      [ "$has_dwarf" = 0 ] || die "$label: expected no DWARF but found .debug_info" ;;
  esac
  if [ "$variant" = stripped ]; then
    [ "$has_symtab" = 0 ] || die "$label: expected no .symtab in the stripped variant"
  else
    [ "$has_symtab" = 1 ] || die "$label: expected a .symtab"
    syms="$(readelf -sW "$f" 2>&1)" || die "$label: readelf -s failed"
    grep -q ' main\.counter$' <<<"$syms" || die "$label: symbol main.counter missing"
  fi
  # The tag took effect and the linker kept what it references.
  if [ "$variant" = large ]; then
    grep -q ' main\.largeLinked$' <<<"$syms" || die "$label: symbol main.largeLinked missing (-tags large without effect?)"
  fi
}

# -------------------------------------------------------------------- build
manifest_entries=()
table=()
n_built=0
n_cached=0

json_str() { # minimal JSON string escaping (paths, versions)
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# build_one <program> <toolchain> <variant> <source hash>
build_one() {
  local prog=$1 tc=$2 variant=$3 src=$4
  local -a env=("${GO_ENV[@]}") flags=(-buildvcs=false)
  local name="$prog-$GO_VERSION"
  case "$variant" in
    default) env+=(CGO_ENABLED=0) ;;
    cgo) env+=(CGO_ENABLED=1) flags+=(-tags=cgo_fixture) ;;
    pie) env+=(CGO_ENABLED=0) flags+=(-buildmode=pie) ;;
    nodwarf) env+=(CGO_ENABLED=0) flags+=(-ldflags=-w) ;;
    stripped) env+=(CGO_ENABLED=0) flags+=("-ldflags=-s -w") ;;
    large) env+=(CGO_ENABLED=0) flags+=(-tags=large) ;;
    *) die "internal: unknown variant $variant" ;;
  esac
  [ "$variant" = default ] || name+="-$variant"
  local out="$OUT/$name" label="$prog $variant with toolchain $tc ($GO_VERSION)"

  local stamp
  stamp="$(printf '%s\n' "$STAMP_FORMAT" "program $prog" "sources $src" "toolchain $GO_FULL" \
    "variant $variant" "${env[@]/#/env }" "${flags[@]/#/flag }" | sha256sum | cut -d' ' -f1)"

  local status
  if [ -x "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp" ]; then
    status=cached
    n_cached=$((n_cached + 1))
  else
    log "building $label"
    rm -f "$out" "$out.stamp"
    local tmp="$out.tmp.$$" output
    if ! output="$(cd "$TARGETS" && env "${env[@]}" "$GO_BIN" build "${flags[@]}" -o "$tmp" "./$prog" 2>&1)"; then
      rm -f "$tmp"
      printf '%s\n' "$output" >&2
      die "failed to build $label (env: ${env[*]}; flags: ${flags[*]})"
    fi
    [ -z "$output" ] || printf '%s\n' "$output" >&2
    verify "$tmp" "$variant" "$label"
    mv -f "$tmp" "$out"
    printf '%s\n' "$stamp" >"$out.stamp.tmp.$$"
    mv -f "$out.stamp.tmp.$$" "$out.stamp"
    status=built
    n_built=$((n_built + 1))
  fi

  manifest_entries+=("{\"program\":$(json_str "$prog"),\"toolchain\":$(json_str "$tc"),\"goVersion\":$(json_str "$GO_VERSION"),\"variant\":$(json_str "$variant"),\"path\":$(json_str "$out")}")
  table+=("$prog|$tc|$GO_VERSION|$variant|$(numfmt --to=iec --format='%.1f' "$(stat -c %s "$out")")|$status")
}

declare -A src_hash
for prog in "${programs[@]}"; do src_hash[$prog]="$(source_hash "$prog")"; done

# Resolve every selected toolchain before building anything, so a missing one
# fails fast.
declare -A TC_BIN TC_ENV TC_VERSION TC_FULL
for tc in "${selected[@]}"; do
  resolve_toolchain "$tc"
  TC_BIN[$tc]=$GO_BIN
  TC_ENV[$tc]=${GO_ENV[*]}
  TC_VERSION[$tc]=$GO_VERSION
  TC_FULL[$tc]=$GO_FULL
done

for tc in "${selected[@]}"; do
  GO_BIN=${TC_BIN[$tc]}
  read -r -a GO_ENV <<<"${TC_ENV[$tc]}"
  GO_VERSION=${TC_VERSION[$tc]}
  GO_FULL=${TC_FULL[$tc]}
  for prog in "${programs[@]}"; do
    build_one "$prog" "$tc" default "${src_hash[$prog]}"
    if [ "$tc" = "$VARIANT_TOOLCHAIN" ]; then
      for v in "${VARIANTS[@]}"; do build_one "$prog" "$tc" "$v" "${src_hash[$prog]}"; done
    fi
    if [ "$tc" = "$LARGE_TOOLCHAIN" ] && grep -qs '^//go:build large$' "$TARGETS/$prog"/*.go; then
      build_one "$prog" "$tc" large "${src_hash[$prog]}"
    fi
  done
done

# ----------------------------------------------------- instrumented program
# test/instrumented exports its own metrics with client_golang: the reference the bridge's
# go_* and process_* series are checked against. It is its own module (client_golang needs a
# newer Go than 1.19), built with $VARIANT_TOOLCHAIN only, and kept out of the manifest (it is
# not a memhog). FIXTURE_INSTRUMENTED=0 skips it (the demo does not need it).
if [ "${FIXTURE_INSTRUMENTED:-1}" != 0 ] && [ -n "${TC_BIN[$VARIANT_TOOLCHAIN]:-}" ]; then
  isrc="$ROOT/test/instrumented"
  iout="$OUT/instrumented"
  ihash="$( (cd "$isrc" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; printf '%s\n' "${TC_FULL[$VARIANT_TOOLCHAIN]}") | sha256sum | cut -d' ' -f1)"
  if [ -x "$iout" ] && [ "$(cat "$iout.stamp" 2>/dev/null)" = "$ihash" ]; then
    istatus=cached
    n_cached=$((n_cached + 1))
  else
    log "building instrumented with toolchain $VARIANT_TOOLCHAIN (${TC_VERSION[$VARIANT_TOOLCHAIN]})"
    read -r -a ienv <<<"${TC_ENV[$VARIANT_TOOLCHAIN]}"
    if ! ioutput="$(cd "$isrc" && env "${ienv[@]}" CGO_ENABLED=0 "${TC_BIN[$VARIANT_TOOLCHAIN]}" build -buildvcs=false -o "$iout.tmp.$$" . 2>&1)"; then
      rm -f "$iout.tmp.$$"
      printf '%s\n' "$ioutput" >&2
      die "failed to build test/instrumented (its modules come from the Go module proxy)"
    fi
    mv -f "$iout.tmp.$$" "$iout"
    printf '%s\n' "$ihash" >"$iout.stamp"
    istatus=built
    n_built=$((n_built + 1))
  fi
  table+=("instrumented|$VARIANT_TOOLCHAIN|${TC_VERSION[$VARIANT_TOOLCHAIN]}|default|$(numfmt --to=iec --format='%.1f' "$(stat -c %s "$iout")")|$istatus")
fi

# ----------------------------------------------------------------- manifest
{
  printf '[\n'
  for i in "${!manifest_entries[@]}"; do
    sep=','
    [ "$i" -eq $((${#manifest_entries[@]} - 1)) ] && sep=''
    printf '  %s%s\n' "${manifest_entries[$i]}" "$sep"
  done
  printf ']\n'
} >"$MANIFEST.tmp.$$"
mv -f "$MANIFEST.tmp.$$" "$MANIFEST"

# -------------------------------------------------------------------- table
{
  printf '%-10s %-9s %-12s %-9s %7s  %s\n' PROGRAM TOOLCHAIN GO VARIANT SIZE STATUS
  for row in "${table[@]}"; do
    IFS='|' read -r p t g v s st <<<"$row"
    printf '%-10s %-9s %-12s %-9s %7s  %s\n' "$p" "$t" "$g" "$v" "$s" "$st"
  done
  printf '%d built, %d cached; manifest: %s\n' "$n_built" "$n_cached" "$MANIFEST"
} >&2
