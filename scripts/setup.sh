#!/usr/bin/env bash
# Installs everything mstat-bridge and its tests need on a fresh Debian bookworm machine.
# Idempotent and quick when everything is present. Any failure is fatal: a missing
# toolchain must never turn into a silently skipped test.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

GO_DEBIAN=(1.19 1.21 1.22 1.23)
# gcc + libc6-dev: the cgo fixture variant needs a C compiler and headers (--no-install-recommends
# does not pull them in with golang-go); binutils: build-fixtures.sh inspects every build with readelf.
# systemd: systemd-analyze for the unit's test (systemd need not run); util-linux: unshare,
# nsenter and setpriv, which the deploy tests use to run the unit's and the image's commands.
APT_PKGS=(gdb gdbserver openssh-server openssh-client procps iproute2 prometheus chromium fonts-dejavu-core gcc libc6-dev binutils systemd util-linux)
for v in "${GO_DEBIAN[@]}"; do APT_PKGS+=("golang-$v-go"); done

# True when apt already has an enabled bookworm-backports source: an uncommented one-line
# "deb URI bookworm-backports …" entry, or a deb822 stanza with Types: deb and
# Suites: bookworm-backports that is not "Enabled: no". A plain grep would be fooled by a
# commented-out line, and apt reads only *.list and *.sources files.
has_backports_source() {
  local dir="${1:-/etc/apt}" f
  for f in "$dir/sources.list" "$dir"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '{ sub(/#.*/, "") } $1 == "deb" { gsub(/\[[^]]*\]/, ""); if ($3 == "bookworm-backports") found = 1 }
         END { exit !found }' "$f" && return 0
  done
  for f in "$dir"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm-backports( |$)/ && enabled != "no") found = 1
        types = suites = key = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { v = $0; gsub(/[ \t]+/, " ", v); if (key == "types") types = types v " "; if (key == "suites") suites = suites v " "; next }
      {
        key = tolower($0); sub(/:.*/, "", key)
        v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v); gsub(/[ \t]+/, " ", v)
        if (key == "types") types = " " v " "; else if (key == "suites") suites = " " v " "; else if (key == "enabled") enabled = tolower(v)
      }
      END { flush(); exit !found }' "$f" && return 0
  done
  return 1
}

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  if ! has_backports_source; then
    log "adding the bookworm-backports apt source"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  $SUDO apt-get update -qq
  # golang-1.21+ exist only in backports; pin the suite per package.
  pkgs=()
  for p in "${missing[@]}"; do
    case "$p" in
      golang-1.19-go) pkgs+=("$p") ;;
      golang-*-go) pkgs+=("$p/bookworm-backports") ;;
      *) pkgs+=("$p") ;;
    esac
  done
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

for v in "${GO_DEBIAN[@]}"; do
  [ -x "/usr/lib/go-$v/bin/go" ] || { log "golang-$v-go installed but /usr/lib/go-$v/bin/go missing"; exit 1; }
done
command -v go >/dev/null || { log "go (1.26) is not on PATH"; exit 1; }

# Go 1.27 through the toolchain switch: the one approved toolchain download.
GO127_VERSION=go1.27.3
if ! GOTOOLCHAIN=$GO127_VERSION go version 2>/dev/null | grep -q "$GO127_VERSION"; then
  log "fetching $GO127_VERSION via GOTOOLCHAIN"
  GOTOOLCHAIN=$GO127_VERSION go version >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
# The bins and the bridge run the built JavaScript (dist/).
log "npm run build"
npm run --silent build >&2
log "ready"
