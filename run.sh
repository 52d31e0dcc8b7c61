#!/usr/bin/env bash
# Runs npass: `cargo run --release -- serve` (dev mode, nothing to configure), after making sure
# the system libraries npass builds against are there — xmlsec1 and libxml2 for SAML's XML
# signatures, libclang for their bindings, pkg-config — installing them as root on Debian.
set -euo pipefail
cd "$(dirname "$0")"
need=()
for dev in libxmlsec1-dev libxml2-dev libclang-dev pkg-config libssl-dev; do
  dpkg -s "$dev" >/dev/null 2>&1 || need+=("$dev")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "building npass needs these Debian packages: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
exec cargo run --release -- serve "$@"
