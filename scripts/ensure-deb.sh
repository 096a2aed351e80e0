#!/usr/bin/env bash
# Installs the given Debian packages, but only those not installed yet.
# Runs `apt-get update` once, and only when something is missing; uses sudo when not root.
# Usage: scripts/ensure-deb.sh PACKAGE...
set -euo pipefail

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "ensure-deb: not a Debian system; make sure these are installed: $*" >&2
  exit 0
fi

missing=()
for package in "$@"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
  [ "$status" = "installed" ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-deb: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo -n)
fi

echo "ensure-deb: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  "${missing[@]}" </dev/null
