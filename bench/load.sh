#!/usr/bin/env bash
# The load harness: npass against oidc-provider (npm), same workloads, same machine.
# Builds release binaries, installs the peer, then runs the generator pinned to core 1 while each
# server runs pinned to core 0. Prints Markdown tables (docs/performance.md keeps the last run).
# Usage: bench/load.sh [--seconds N] [--connections N] [--accounts N] [--grants N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/npass-target}"
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed to pin the processes" >&2; exit 1; }
cargo build --release --locked -p npass -p npass-load
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
exec taskset -c 1 "$CARGO_TARGET_DIR/release/npass-load" \
  --npass "$CARGO_TARGET_DIR/release/npass" --peer bench/peer/server.mjs "$@"
