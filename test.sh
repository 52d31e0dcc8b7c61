#!/usr/bin/env bash
# The npass test command: sets up what the tests need (Debian packages when run as root, a
# Python environment with python-stdnum, the browser tests' Node modules, cargo-fuzz), then
# formatting, lints, the whole suite on SQLite, the browser tests, a load-harness smoke run, a
# short run of every fuzz target and, when NPASS_TEST_DATABASE_URL names a PostgreSQL server
# (as .ci/run sets it), the suite on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/npass-target}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== setting up what the tests need"
# Debian packages: Chromium (browser tests), Node (their runner), openssl and SoftHSM2 (the
# e-signature tests make PKCS#12 files and sign on a PKCS#11 token), python3 with venv, zbar
# (the QR login's browser test reads the code from a screenshot, as a phone's camera would),
# tor-geoipdb (the offline country database the app's approval page can name places from), and
# what building npass itself needs for SAML's XML signatures: xmlsec1 and libxml2's headers,
# libclang (the bindings are generated at build time) and pkg-config; and the xmlsec1 program,
# with which pysaml2 (the second SAML service provider the tests run) checks signatures and
# decrypts.
need_apt=()
for dev in libxmlsec1-dev libxml2-dev libclang-dev pkg-config libssl-dev; do
  dpkg -s "$dev" >/dev/null 2>&1 || need_apt+=("$dev")
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v softhsm2-util >/dev/null 2>&1 || need_apt+=(softhsm2)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v zbarimg >/dev/null 2>&1 || need_apt+=(zbar-tools)
command -v xmlsec1 >/dev/null 2>&1 || need_apt+=(xmlsec1)
[ -f /usr/share/tor/geoip ] || need_apt+=(tor-geoipdb)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "the tests need these Debian packages: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi
# python-stdnum, the reference validators the national-identifier test compares against,
# openapi-spec-validator, which checks the API documents, http_ece (with cryptography), which
# decrypts what npass pushes to a phone, and the SAML service providers the interoperability
# tests run (OneLogin's python3-saml, pysaml2), in a virtual environment of its own beside the
# build (the system Python is left alone).
venv="$CARGO_TARGET_DIR/test-python"
if ! "$venv/bin/python" -c "import stdnum, openapi_spec_validator, http_ece, onelogin.saml2, saml2" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check python-stdnum \
    openapi-spec-validator http-ece python3-saml pysaml2
fi
export NPASS_TEST_PYTHON="$venv/bin/python"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests on SQLite"
NPASS_TEST_DATABASE_URL= cargo test --workspace --locked 2>&1 | tee -a "$log"

echo "== browser tests (Chromium, axe-core WCAG 2.1 AA)"
cargo build -p npass --locked
NPASS_BIN="$CARGO_TARGET_DIR/debug/npass" NPASS_SIGN_BIN="$CARGO_TARGET_DIR/debug/npass-sign" node --test e2e/ 2>&1 | tee -a "$log"

echo "== load harness smoke run (that it works, not how fast: see bench/load.sh)"
cargo build -p npass-load --locked
# SimpleSAMLphp, the SAML peer, runs under Apache, which needs root (as in .ci/run).
ssp=()
if [ "$(id -u)" -eq 0 ]; then
  bench/ssp-install.sh
  ssp=(--simplesamlphp)
else
  echo "not root: the smoke run leaves SimpleSAMLphp out" >&2
fi
"$CARGO_TARGET_DIR/debug/npass-load" --npass "$CARGO_TARGET_DIR/debug/npass" --peer bench/peer/server.mjs \
  "${ssp[@]}" --seconds 1 --connections 4 --accounts 120 --grants 2000 > "$log.load" 2>&1 || { cat "$log.load"; exit 1; }
grep -q "full login flow | oidc-provider" "$log.load" || { cat "$log.load"; echo "load harness did not finish" >&2; exit 1; }
grep -q "saml sso flow | npass" "$log.load" || { cat "$log.load"; echo "the SAML flow did not run" >&2; exit 1; }
if [ ${#ssp[@]} -gt 0 ]; then
  grep -q "saml sso flow | SimpleSAMLphp" "$log.load" || { cat "$log.load"; echo "SimpleSAMLphp did not run" >&2; exit 1; }
fi
rm -f "$log.load"

echo "== fuzz smoke run: every fuzz target for ${FUZZ_SECONDS:-15} s (fuzz/run.sh; longer runs: FUZZ_SECONDS=600)"
fuzz/run.sh

if [ -n "${NPASS_TEST_DATABASE_URL:-}" ]; then
  echo "== tests on PostgreSQL ($NPASS_TEST_DATABASE_URL)"
  # Every test makes a database of its own, named with this run's prefix; they are dropped
  # after the run, passed or not (another run's, on the same server, are left alone), or
  # thousands of them would fill the server's disk over many runs.
  export NPASS_TEST_DB_PREFIX="npass_t_$$_"
  drop_test_databases() {
    command -v psql >/dev/null 2>&1 || { echo "no psql: the tests' databases ${NPASS_TEST_DB_PREFIX}* are left" >&2; return 0; }
    echo "SELECT format('DROP DATABASE %I', datname) FROM pg_database WHERE datname LIKE replace('$NPASS_TEST_DB_PREFIX', '_', '\\_') || '%' \\gexec" \
      | psql -qAt "$NPASS_TEST_DATABASE_URL" >/dev/null || echo "some test databases ${NPASS_TEST_DB_PREFIX}* were left" >&2
  }
  trap 'drop_test_databases; rm -f "$log"' EXIT
  cargo test --workspace --locked 2>&1 | tee -a "$log"
else
  echo "== PostgreSQL run skipped: NPASS_TEST_DATABASE_URL is not set (.ci/run sets it)"
fi

# One closing line for every run above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "total: %d passed, %d failed\n", p, f }' "$log"
