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
APT_PKGS=(gdb gdbserver openssh-server openssh-client procps iproute2 prometheus chromium fonts-dejavu-core)
for v in "${GO_DEBIAN[@]}"; do APT_PKGS+=("golang-$v-go"); done

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
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
log "ready"
