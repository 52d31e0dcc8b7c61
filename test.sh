#!/usr/bin/env bash
# The npass test command: formatting, lints, and the whole suite on SQLite and, when
# NPASS_TEST_DATABASE_URL names a PostgreSQL server (as .ci/run sets it), on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/npass-target}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests on SQLite"
NPASS_TEST_DATABASE_URL= cargo test --workspace --locked 2>&1 | tee -a "$log"

echo "== browser tests (Chromium, axe-core WCAG 2.1 AA)"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "browser tests need Chromium: apt-get install chromium (.ci/run installs it)" >&2
  exit 1
fi
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build -p npass --locked
NPASS_BIN="$CARGO_TARGET_DIR/debug/npass" NPASS_SIGN_BIN="$CARGO_TARGET_DIR/debug/npass-sign" node --test e2e/ 2>&1 | tee -a "$log"

echo "== load harness smoke run (that it works, not how fast: see bench/load.sh)"
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
cargo build -p npass-load --locked
"$CARGO_TARGET_DIR/debug/npass-load" --npass "$CARGO_TARGET_DIR/debug/npass" --peer bench/peer/server.mjs \
  --seconds 1 --connections 4 --accounts 30 --grants 2000 > "$log.load" 2>&1 || { cat "$log.load"; exit 1; }
grep -q "full login flow | oidc-provider" "$log.load" || { cat "$log.load"; echo "load harness did not finish" >&2; exit 1; }
rm -f "$log.load"

if [ -n "${NPASS_TEST_DATABASE_URL:-}" ]; then
  echo "== tests on PostgreSQL ($NPASS_TEST_DATABASE_URL)"
  cargo test --workspace --locked 2>&1 | tee -a "$log"
else
  echo "== PostgreSQL run skipped: NPASS_TEST_DATABASE_URL is not set (.ci/run sets it)"
fi

# One closing line for every run above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "total: %d passed, %d failed\n", p, f }' "$log"
