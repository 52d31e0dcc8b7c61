#!/usr/bin/env bash
# A short, bounded coverage-guided run of every fuzz target (cargo fuzz, libFuzzer) from its
# corpus in fuzz/corpus/<target>/. What a run finds goes to fuzz/artifacts/<target>/ and fails
# the run. FUZZ_SECONDS (default 15) bounds each target. New inputs that grew coverage are
# kept in a scratch copy, not in the repository's corpus (merge them by hand with
# `cargo fuzz cmin` when they are worth keeping).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-15}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/npass-fuzz-target}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
cargo fuzz build -s none -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
targets=$(cargo fuzz list)
passed=0
for t in $targets; do
  mkdir -p "$scratch/$t"
  cp -r "corpus/$t/." "$scratch/$t/"
  echo "== fuzz $t (${seconds} s)"
  status=0
  cargo fuzz run -s none -O "$t" "$scratch/$t" -- -max_total_time="$seconds" -max_len=65536 \
    -print_final_stats=1 > "$scratch/$t.log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units)" "$scratch/$t.log" || true
  if [ "$status" -ne 0 ] || ls "artifacts/$t"/* >/dev/null 2>&1; then
    tail -40 "$scratch/$t.log" >&2
    echo "fuzz target $t found a failing input: fuzz/artifacts/$t/" >&2
    exit 1
  fi
  passed=$((passed + 1))
done
echo "fuzz: $passed targets ran ${seconds} s each, nothing found"
