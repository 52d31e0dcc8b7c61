#!/usr/bin/env bash
# The load harness: npass against oidc-provider (npm) and, on the SAML SSO flow, against
# SimpleSAMLphp (Debian's package under Apache with mod_php); same workloads, same machine.
# Builds release binaries, installs the peers (SimpleSAMLphp only as root: its Apache drops to
# www-data), then runs the generator pinned to core 1 while each server runs pinned to core 0.
# Prints Markdown tables (docs/performance.md keeps the last run).
# Usage: bench/load.sh [--seconds N] [--connections N] [--accounts N] [--grants N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/npass-target}"
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed to pin the processes" >&2; exit 1; }
cargo build --release --locked -p npass -p npass-load
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
ssp=()
if [ "$(id -u)" -eq 0 ]; then
  bench/ssp-install.sh
  ssp=(--simplesamlphp)
else
  echo "not root: SimpleSAMLphp is left out (its Apache runs as root, then www-data)" >&2
fi
exec taskset -c 1 "$CARGO_TARGET_DIR/release/npass-load" \
  --npass "$CARGO_TARGET_DIR/release/npass" --peer bench/peer/server.mjs "${ssp[@]}" "$@"
