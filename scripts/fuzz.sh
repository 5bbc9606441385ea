#!/usr/bin/env bash
# Fuzzing the core's parsers (fuzz/, cargo-fuzz on the nightly toolchain).
#   bash scripts/fuzz.sh smoke [SECONDS]      every target for SECONDS (default 10) — npm test
#   bash scripts/fuzz.sh long TARGET RUNS     one target for RUNS executions; prints the
#                                             FUZZING.md table row
#   bash scripts/fuzz.sh seeds                rewrite fuzz/corpus from tests/vectors
# Runs start from the committed corpus (fuzz/corpus/<target>, seeded from tests/vectors);
# what they discover goes to tmp/fuzz/corpus/<target>, crashes to tmp/fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TARGETS=(smer smer_open smer_stream key_import identity_file entry block checkpoint consortium proofs chain_file request_headers base64url)

run() { # target, extra libFuzzer flags...
  local target=$1
  shift
  mkdir -p "tmp/fuzz/corpus/$target" "tmp/fuzz/artifacts/$target"
  # -O: optimized with debug assertions (overflow checks on), as cargo-fuzz recommends.
  (cd fuzz && cargo +nightly fuzz run -O "$target" "../tmp/fuzz/corpus/$target" "corpus/$target" -- \
    -artifact_prefix="../tmp/fuzz/artifacts/$target/" -timeout=60 -rss_limit_mb=4096 \
    -print_final_stats=1 "$@")
}

case "${1:-smoke}" in
  smoke)
    seconds=${2:-10}
    (cd fuzz && cargo +nightly fuzz build -O)
    for target in "${TARGETS[@]}"; do
      echo "--- fuzz smoke: $target (${seconds} s)"
      run "$target" -max_total_time="$seconds" 2>tmp/fuzz-$target.log || {
        tail -40 "tmp/fuzz-$target.log"
        echo "fuzz target $target FAILED (input in tmp/fuzz/artifacts/$target/)"
        exit 1
      }
      grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "tmp/fuzz-$target.log" | tail -1
    done
    ;;
  long)
    target=$2
    runs=$3
    started=$(date +%s)
    run "$target" -runs="$runs" 2>"tmp/fuzz-long-$target.log" || {
      tail -40 "tmp/fuzz-long-$target.log"
      echo "fuzz target $target FAILED"
      exit 1
    }
    executed=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "tmp/fuzz-long-$target.log" | grep -oE "[0-9]+$" | tail -1)
    seconds=$(($(date +%s) - started))
    echo "| $target | $executed | 0 | $(date -u +%Y-%m-%d) | ${seconds} s |"
    ;;
  seeds)
    cargo xtask fuzz-seeds fuzz/corpus
    ;;
  *)
    echo "usage: bash scripts/fuzz.sh smoke [SECONDS] | long TARGET RUNS | seeds" >&2
    exit 2
    ;;
esac
